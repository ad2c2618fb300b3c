"""The committed results tree: ``results/<schedule>/<source>/<algo>/<dataset>/seed<N>/final.json``
(a hyperparameter variant: ``.../<dataset>/<variant>/seed<N>/``, ``algos/variants.py``)
(+ ``eval.csv``, ``config.yaml``, and ``episodes.csv`` and ``train_metrics.csv`` where the
run has them: ``episodes.py``, ``train_metrics.py``; ``<source>`` is the data source:
curatedrl, d4rl, minari, so sources never mix), read defensively and checked against
``schema.py``: a corrupt, partial or ill-typed file (a score that is a string, a bool, null or
NaN) is skipped with one warning that names it and the field, never a crash and never averaged.
A failure record (status ``failed``, ``failed_step``: a non-finite training metric) is a run
too (``is_failed``): its section lists it apart, never averaged (``admission.admit``).

Results come from pull requests, so every file is untrusted data. A run is also skipped, with
one warning and one line in the pages (``load_results``), when its final.json names another cell
than its folders (``seed106/`` holding seed 0), its source folder is not a data source, a score
or its wall time is beyond any real one (1e308 would print ``± inf``), a field the pages show
has the wrong type, its text is not valid Unicode, or its config.yaml cannot be read, is not a
run's config or names another run."""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curatedrl.benchmarks.leaderboard.episodes import episodes_path
from curatedrl.benchmarks.leaderboard.train_metrics import Rows, load_train_metrics
from curatedrl.datasets.ids import canonical_name
from curatedrl.errors import CuratedRLError
from curatedrl.run.records.rundir import ResultsFileWarning, read_csv, read_json_object, read_yaml
from curatedrl.run.safety.schema import config_problem, eval_rows_problem, final_problem, \
    is_finite_number, is_int


@dataclass
class Run:
    schedule: str
    final: dict[str, Any]
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, normalised mean)
    source: str = "curatedrl"  # the data source (results/<schedule>/<source>/...)
    path: Path | None = None  # the folder it was read from
    config: dict[str, Any] | None = None  # its config.yaml, checked (None without one)
    episodes: Path | None = None  # its episodes.csv (None: results made before it was kept);
    # read and checked with ``episodes.load_episodes(run.path)``
    variant: str | None = None  # a variant's name (final.json's ``variant``); None: default
    train_metrics: Rows | None = None  # its train_metrics.csv's rows, checked (None: results
    # made before it was exported, or an unusable file, ignored with a warning)

    @property
    def algo(self) -> str:
        return self.final["algo"]

    @property
    def dataset(self) -> str:
        """The dataset as every machine names it (a D4RL file by D4RL's name, not its path)."""
        return canonical_name(self.final["dataset"])


# Beyond these a value is no result: 100 is an expert's normalised score; 1e8 s is 3 years.
MAX_ABS_SCORE = 1e6
MAX_WALL_TIME_S = 1e8


@dataclass
class Skipped:
    path: Path  # the run folder that was skipped
    reason: str  # one line, without the folder's path


def is_failed(run) -> bool:
    """Whether a run is a failure record (no scores; never averaged or shown in a view)."""
    return run.final.get("status") == "failed"


def _skip(path: Path, problem: str) -> None:
    warnings.warn(f"skipping results file {str(path)!r}: {problem}", ResultsFileWarning,
                  stacklevel=4)


def _read_final(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    final, problem = read_json_object(path)
    if final is None:
        return None, problem
    problem = final_problem(final)
    return (None, problem) if problem is not None else (final, None)


def _read_curve(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    try:
        rows = read_csv(path)
        problem = eval_rows_problem(rows)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem is None and any(abs(float(r["normalized_mean"])) > MAX_ABS_SCORE for r in rows):
        problem = f"a normalized_mean beyond ±{MAX_ABS_SCORE:g}"
    if problem is not None:
        warnings.warn(f"ignoring the learning curve {str(path)!r}: {problem}",
                      ResultsFileWarning, stacklevel=4)
        return []
    return [(int(r["step"]), float(r["normalized_mean"])) for r in rows]


def _lone_surrogate(value: Any) -> bool:
    """Whether any text in ``value`` (keys too) holds a lone surrogate (JSON's ``"\\ud800"``,
    or a folder name's undecodable bytes): no page can be written with it."""
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_lone_surrogate(v) for v in value)


def _shown_problem(final: dict[str, Any]) -> str | None:
    """What a final.json holds that the pages cannot show (a finished run's as a result), or
    None."""
    if "steps" not in final:
        return "field 'steps' is missing"
    scores = ("normalized_score_last", "normalized_score_best")
    for key in scores if final["status"] == "finished" else ():
        if abs(final[key]) > MAX_ABS_SCORE:
            return f"field {key!r} is {final[key]:g}, beyond ±{MAX_ABS_SCORE:g}: no real score"
    for key in ("git_commit", "hardware", "device"):
        if key in final and not isinstance(final[key], str):
            return f"field {key!r} must be a string, got {final[key]!r}"
    wall = final.get("wall_time_s", 0.0)
    if not is_finite_number(wall) or not 0 <= wall <= MAX_WALL_TIME_S:
        return f"field 'wall_time_s' must be a number of seconds in [0, {MAX_WALL_TIME_S:g}], " \
            f"got {wall!r}"
    stacked = final.get("stacked_seeds", [])
    if not isinstance(stacked, list) or not all(is_int(s) for s in stacked):
        return f"field 'stacked_seeds' must be a list of integers, got {stacked!r}"
    if _lone_surrogate(final):
        return "it holds text that is not valid Unicode (a lone surrogate)"
    return None


def _cell_problem(path: Path, final: dict[str, Any], source: str, variant: str | None
                  ) -> str | None:
    """Whether the folders and the final.json name the same run (``variant``: the variant
    folder, None in the default layout)."""
    from curatedrl.algos.variants import name_problem
    from curatedrl.datasets.ids import dataset_slug
    from curatedrl.benchmarks.suites.sources import sources

    if any(_lone_surrogate(part) for part in path.parts):
        return "its folder names are not valid UTF-8"
    if source not in sources():
        return f"{source!r} is not a data source (one of {', '.join(sources())})"
    named = final.get("variant")
    if named is not None and name_problem(named):
        return f"field 'variant' {named!r}: {name_problem(named)}"
    if named != variant:
        return (f"its final.json names variant {named!r}, its folders "
                f"{variant!r}" if variant else f"its final.json names variant {named!r}, "
                f"outside a variant folder (<dataset>/<variant>/seed<N>)")
    algo, dataset = path.parts[-5:-3] if variant else path.parts[-4:-2]
    seed = path.parts[-2]
    for folder, want in ((algo, final["algo"]), (dataset, dataset_slug(final["dataset"])),
                         (seed, f"seed{final['seed']}")):
        if folder != want:
            return f"its final.json names {want!r}, its folder is {folder!r}"
    return None


def _read_config(path: Path, final: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The run's config.yaml (None without one), or the problem with it."""
    if not path.exists():
        return None, None
    try:
        config = read_yaml(path)
    except CuratedRLError as exc:
        return None, "config.yaml: " + str(exc).replace(str(path), "the file")
    problem = config_problem(config)
    if problem is None:
        for key in ("ref_steps", "steps_per_episode"):  # the budget lines read these
            if config.get(key) is not None and not is_int(config[key]):
                problem = f"field {key!r} must be an integer or null, got {config[key]!r}"
    if problem is None and _lone_surrogate(config):
        problem = "it holds text that is not valid Unicode (a lone surrogate)"
    if problem is None:
        for key in ("algo", "dataset", "seed", "variant"):
            if config.get(key) != final.get(key):
                problem = (f"it names {key} {config.get(key)!r}, its final.json "
                           f"{final.get(key)!r}")
                break
    return (None, f"config.yaml: {problem}") if problem else (config, None)


def _read_run(path: Path, variant: str | None = None) -> tuple[Run | None, str | None, Path]:
    """The run of a final.json, or (None, the problem, the file it is in); ``variant``: the
    name of its variant folder (``<dataset>/<variant>/seed<N>``)."""
    final, problem = _read_final(path)
    if final is None:
        return None, problem, path
    top = -7 if variant else -6  # the schedule's folder
    source = path.parts[top + 1]
    problem = _shown_problem(final) or _cell_problem(path, final, source, variant)
    if problem is not None:
        return None, problem, path
    config, problem = _read_config(path.parent / "config.yaml", final)
    if problem is not None:
        return None, problem, path.parent / "config.yaml"
    return Run(path.parts[top], final, _read_curve(path.parent / "eval.csv"), source=source,
               path=path.parent, config=config, episodes=episodes_path(path.parent),
               variant=variant, train_metrics=load_train_metrics(path.parent)), None, path


def load_results(root: Path = Path("results")) -> tuple[list[Run], list[Skipped]]:
    """Every finished or failed run under ``root``, sorted by (schedule, source, algo, dataset,
    seed), and every run folder skipped, with one ``ResultsFileWarning`` each."""
    runs, skipped = [], []
    old = sorted(Path(root).glob("*/*/*/seed*/final.json"))
    if old:
        warnings.warn(f"ignoring {len(old)} runs in the layout without a data source, e.g. "
                      f"{str(old[0])!r}; move <schedule>/<algo>/ to <schedule>/curatedrl/<algo>/",
                      ResultsFileWarning, stacklevel=2)
    found = [(p, None) for p in Path(root).glob("*/*/*/*/seed*/final.json")]
    found += [(p, p.parts[-3]) for p in Path(root).glob("*/*/*/*/*/seed*/final.json")]
    for path, variant in sorted(found):
        run, problem, where = _read_run(path, variant)
        if run is None:
            _skip(where, problem)
            skipped.append(Skipped(path.parent, problem))
        else:
            runs.append(run)
    runs.sort(key=lambda r: (r.schedule, r.source, r.algo, r.dataset, r.variant or "",
                             r.final["seed"]))
    return runs, skipped


def load_runs(root: Path = Path("results")) -> list[Run]:
    """Every run under ``root``, finished or failed (``load_results`` without the skipped
    folders)."""
    return load_results(root)[0]
