"""Which runs may enter a schedule's tables: provenance checks shared by export and leaderboard.

A run belongs to a schedule's tables only if it was made by that schedule: its resolved config
equals the schedule's overrides + the per-dataset config (+ its variant's knobs, for a variant
the schedule declares: ``cell_config.variant_grid``) + the algorithm's defaults (seed,
dataset and the machine-dependent fields aside), its code commit is clean (no ``-dirty``), and
its dataset content hash is the manifest's (for the project's generated data) or, for data the
manifest does not know, the hash that most runs of that dataset id used. A run on one of the
``earlier_hashes`` the manifest keeps for its dataset (the first generator's bytes, which only the
CPU type that made them regenerates) is listed apart like any other-bytes run, under one reason
(``EARLIER_BYTES``) so the pages can group them; its place in the tables is taken by a rerun on
the current bytes (``make reproduce``: the sweep counts such a cell as not done).
A run whose dataset belongs to another data source than the folder it lies in
(``ids.dataset_source``: a D4RL file under ``curatedrl/``) never enters that section.
Anything else is listed, one line per run, and never averaged with the rest. A failure record
that passes these checks (a run of the schedule that stopped at a non-finite training metric:
``results.is_failed``) is listed too, under ``failed_reason`` (its step; the error text it
carries is never shown), and kept in ``Verdict.failed``: a registered experiment counts its pair
as left out (``registered.py``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import yaml

from curatedrl.run.records.checkpoint import config_differences
from curatedrl.benchmarks.leaderboard.results import is_failed
from curatedrl.benchmarks.suites.cell_config import (SCHEDULE_DIR, cell_overrides, load_schedule,
                                                     variant_grid)
from curatedrl.datasets.ids import SOURCE_RULE, dataset_slug, dataset_source
from curatedrl.run.records.rundir import read_yaml
from curatedrl.errors import CuratedRLError

# Fields that say where and how a run was made, not what was trained.
NOT_CONFIG = ("algo", "seed", "dataset", "dataset_hash", "git_commit", "device",
              "checkpoint_every")


def expected_config(algo: str, dataset: str, seed: int, schedule: dict[str, Any],
                    variant: str | None = None) -> dict[str, Any]:
    """The resolved config a sweep of ``schedule`` gives this cell (as train.py writes it;
    ``variant``: a point of the schedule's variants grid, else the default cell)."""
    from curatedrl.algos import ALGOS, config_from_dict

    cfg = config_from_dict(ALGOS[algo].config_cls,
                           {**cell_overrides(algo, dataset, schedule, variant=variant),
                            "seed": seed, "dataset": dataset})
    plain = {k: list(v) if isinstance(v, tuple) else v
             for k, v in dataclasses.asdict(cfg).items()}
    if variant is not None:
        plain["variant"] = variant
    return yaml.safe_load(yaml.safe_dump(plain))


def config_drift(config: dict[str, Any], schedule: dict[str, Any]) -> list[str]:
    """``key: run -> schedule`` for every field where the run differs from its schedule. Fields
    that only one side has (added to or dropped from a config class since the run) are not
    compared: their default kept the behaviour the run had."""
    from curatedrl.algos import ALGOS

    if config.get("algo") not in ALGOS:
        return [f"algo: {config.get('algo')!r} is not registered"]
    variant = config.get("variant")
    if variant is not None and variant not in variant_grid(schedule, config["algo"]):
        return [f"variant: {variant!r} is not one of the schedule's variants of "
                f"{config['algo']}"]
    if variant is None and variant_grid(schedule, config["algo"]):
        return [f"variant: none, but the schedule trains {config['algo']} only as its "
                f"variants"]
    want = expected_config(config["algo"], config["dataset"], int(config["seed"]), schedule,
                           variant)
    both = set(config) & set(want)
    return config_differences({k: config[k] for k in both}, {k: want[k] for k in both},
                              ignore=NOT_CONFIG)


def is_dirty(commit: str | None) -> bool:
    return str(commit or "").endswith("-dirty")


def export_problem(config: dict[str, Any], schedule: dict[str, Any]) -> str | None:
    """Why a run may not be exported into ``schedule``'s tables (None when it may)."""
    if is_dirty(config.get("git_commit")):
        return f"made from a modified tree (commit {config['git_commit'][:12]}...-dirty)"
    drift = config_drift(config, schedule)
    if drift:
        return "its config differs from the schedule: " + "; ".join(drift)
    return None


def registered(name: str) -> dict[str, Any] | None:
    """The project's schedule of that name (benchmarks/suites/configs/schedules/), else None."""
    return load_schedule(name) if (SCHEDULE_DIR / f"{name}.yaml").exists() else None


def check_sweep_export(schedule: dict[str, Any], extra: dict[str, Any] | None,
                       export_as: str | None) -> None:
    """Refuse, before anything runs, a sweep of a registered schedule with ``--set`` overrides
    (its runs could not go into the schedule's tables) that names no other schedule for them.
    A schedule of the user's own (a YAML file under another name) is already its own table."""
    if export_as or registered(schedule["name"]) is None:
        return
    beyond = sorted(k for k in (extra or {}) if k != "device")
    if beyond:
        raise CuratedRLError(
            f"--set {', '.join(beyond)} goes beyond schedule {schedule['name']}, so its runs "
            f"cannot be exported into results/{schedule['name']}/; add --export-as NAME "
            f"(results/NAME/) or --no-results, or drop the --set")


def check_export(run_dir: Path, schedule_name: str) -> None:
    """Refuse (one line saying how) to export a run into a registered schedule's tables when it
    was made from a modified tree or with a config beyond that schedule."""
    schedule = registered(schedule_name)
    path = Path(run_dir) / "config.yaml"
    if schedule is None or not path.exists():
        return
    problem = export_problem(read_yaml(path), schedule)
    if problem:
        raise CuratedRLError(
            f"{run_dir} is not exported into results/{schedule_name}/: {problem}; export it "
            f"under its own name with --export-as NAME, or rerun it from a clean tree with the "
            f"schedule's config")


# The one reason every run on an earlier generation of its dataset is listed apart with.
EARLIER_BYTES = ("trained on an earlier generation of its dataset (a content hash "
                 "datasets/manifest.json keeps as earlier_hashes: the same policies and seeds, "
                 "other bytes, regenerated only on the CPU type that made them); listed apart "
                 "until rerun on the current bytes")


def failed_reason(run) -> str:
    """The one line a failure record of the schedule is listed under."""
    return f"failed: non-finite training metric at step {int(run.final['failed_step'])}"


@dataclasses.dataclass
class Verdict:
    admitted: list  # runs that enter the tables
    excluded: list[tuple[Any, str]]  # (run, one-line reason)
    earlier: list = dataclasses.field(default_factory=list)  # of ``excluded``: earlier bytes
    failed: list = dataclasses.field(default_factory=list)  # of ``excluded``: failure records


def run_dir(results: Path, run) -> Path:
    """Where a run's files lie in the results tree."""
    path = getattr(run, "path", None)
    if path is not None:
        return Path(path)
    return Path(results) / run.schedule / getattr(run, "source", "curatedrl") / run.algo / \
        dataset_slug(run.dataset) / f"seed{run.final['seed']}"


def shown_path(results: Path, run) -> str:
    """A run's folder as the pages show it: from the results tree's own name down, so the
    pages do not depend on where the tree lies."""
    path = run_dir(results, run)
    try:
        return (Path(Path(results).name) / path.relative_to(results)).as_posix()
    except ValueError:
        return path.as_posix()


def _config(results: Path, run) -> dict[str, Any] | None:
    """The run's config.yaml: as loaded and checked with the run (``results.load_results``)."""
    if getattr(run, "config", None) is not None:
        return run.config
    path = run_dir(results, run) / "config.yaml"
    return read_yaml(path) if path.exists() else None


def admit(runs: list, results: Path,
          expected_hash: Callable[[str], str | None] | None = None,
          earlier_hashes: Callable[[str], list[str]] | None = None) -> Verdict:
    """Split one section's runs into those its tables average and those they list apart."""
    if expected_hash is None:
        from curatedrl.datasets.manifest import expected_hash
    if earlier_hashes is None:
        from curatedrl.datasets.manifest import earlier_hashes
    excluded: list[tuple[Any, str]] = []
    kept, earlier, failed = [], [], []
    for run in runs:
        reason = None
        folder, src = getattr(run, "source", "curatedrl"), dataset_source(run.dataset)
        if src != folder:
            reason = (f"its dataset {run.dataset} is {src} data ({SOURCE_RULE[src]}), not "
                      f"{folder} data: runs on other data never enter this section (its place "
                      f"is results/{run.schedule}/{src}/)")
        elif is_dirty(run.final.get("git_commit")):
            reason = "made from a modified tree (commit ends in -dirty)"
        want, h = expected_hash(run.dataset), run.final.get("dataset_hash")
        old = want is not None and h != want and h in earlier_hashes(run.dataset)
        if reason is None and want is not None and h != want:
            reason = EARLIER_BYTES if old else f"dataset hash {h} is not the manifest's {want}"
        schedule = registered(run.schedule)
        config = _config(results, run) if schedule is not None else None
        if reason is None and config is not None:
            drift = config_drift(config, schedule)
            if drift:
                reason = f"config differs from schedule {run.schedule}: " + "; ".join(drift)
        if reason is None and is_failed(run):
            reason = failed_reason(run)
            failed.append(run)
        if reason:
            excluded.append((run, reason))
            earlier += [run] if reason == EARLIER_BYTES else []
        else:
            kept.append(run)
    # data the manifest does not know: one content hash per dataset id (the most common one)
    unknown = [r for r in kept if expected_hash(r.dataset) is None]
    counts = Counter((r.dataset, r.final.get("dataset_hash")) for r in unknown)
    best: dict[str, Any] = {}
    for (dataset, h), _ in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1],
                                                                  str(kv[0][1]))):
        best.setdefault(dataset, h)
    admitted = []
    for run in kept:
        h = run.final.get("dataset_hash")
        top = best.get(run.dataset, h)  # manifest data: checked above
        if h != top:
            excluded.append((run, f"dataset hash {h} differs from {top}, the hash of "
                                  f"{counts[(run.dataset, top)]} other runs of this dataset"))
        else:
            admitted.append(run)
    return Verdict(admitted, excluded, earlier, failed)
