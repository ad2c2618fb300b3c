"""`curatedrl sweep`: run a suite's algo x dataset x seed cells, locally or on Ray.

Each cell is one ``curatedrl train`` process (a crash or an out-of-memory kill costs that cell
only), writing its run directory under ``<root>/<schedule>/<algo>/<dataset>/seed<N>`` (other data
sources than the default under ``<root>/<schedule>/<source>/``); with ``seeds_per_process`` the
seeds of one algo x dataset share a process, stacked (``train --seeds``, each seed still in its
own run directory; ``seedgroups.py`` says when). A cell
whose run directory holds a finished run of the same resolved config, data and thread count
(``cells.py``) is skipped, so a killed sweep started again with the same command runs only the
unfinished cells; another config or other data is trained anew (the old run directory is moved
to ``<root>/<schedule>/.replaced/``). With ``skip_exported`` a cell whose exported folder in the
results tree holds that cell finished is skipped too, so a sweep can go on from a fresh clone of
committed results on another machine. Every cell's config is resolved, and the root and results
paths checked, before any cell starts; ``--dry-run`` says why each cell would run.

One sweep at a time per root and schedule (a lock file, ``.sweep.lock``). Ctrl-C or SIGTERM
stops the running cells (each keeps its last checkpoint), starts no more, exports what finished
and says how to resume; cells also stop if the sweep is killed outright (``children.py``).
Failed cells are reported at the end (with the last lines of their log) while the others go on.
Finished cells are exported to ``<results>/<schedule>/<source>/<algo>/<dataset>/seed<N>/``
(final.json, eval.csv, config.yaml, episodes.csv: every evaluation episode's return, and
train_metrics.csv: metrics.csv's rows at the evaluation steps and the last step,
``run/records/train_summary.py``): the small files the leaderboard is built from. A finished
cell is exported again by every sweep that finds it finished, so a sweep from a later checkout
adds the files an earlier version did not export. A failed run (final.json with status
``failed``: a non-finite training metric, ``run/records/runrecord.py``) is exported the same
way, with the same checks, when a sweep finds it or ends with it: the leaderboard lists it,
never averaged (``admission.py``). A later sweep does not run a failed cell again (on CPU the
same config fails again at the same step, and a rerun until one succeeds would choose results by
their outcome): it lists it as failed before, unless ``retry_failed`` (``--retry-failed``) asks
for it; a finished rerun then replaces the record. A cell that failed without a failure record (a
crash) exports nothing and resumes from its last checkpoint.

Backends (``launch.py``): ``local`` runs ``--workers`` cells at a time in subprocesses and needs
no Ray; ``ray`` runs the same cells as Ray tasks (one CPU each, plus a GPU fraction when the
device is CUDA) on a local Ray instance or an existing cluster (``--address``; the datasets and
the repository must then be at the same paths on every node).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from curatedrl.algos import config_from_dict
from curatedrl.benchmarks.suites import sources
from curatedrl.benchmarks.sweeps import children, seedgroups
from curatedrl.benchmarks.leaderboard.admission import check_export, check_sweep_export
from curatedrl.benchmarks.sweeps.cells import data_hashes, move_aside, plan, read_final, \
    recorded_before
from curatedrl.benchmarks.suites.cell_config import cell_overrides, suite, variant_grid
from curatedrl.algos.variants import check_variant
from curatedrl.benchmarks.sweeps.launch import run_local, run_ray
from curatedrl.datasets.ids import dataset_slug
from curatedrl.run.safety.lock import DirLock, check_output_dir, is_locked
from curatedrl.fileio import atomic_write_dir, remove_stale_temporaries
from curatedrl.run.records.runstate import resolved_config
from curatedrl.run.records.train_summary import TRAIN_METRICS_FILE, train_summary
from curatedrl.run.loop.train import resolve_algo
from curatedrl.errors import CuratedRLError
from curatedrl.provenance import git_commit

# Environment variables a cell needs from the sweep's environment (also passed to Ray workers).
PASS_ENV = ("MINARI_DATASETS_PATH", "CURATEDRL_CACHE", "WANDB_MODE", "WANDB_DIR",
            "WANDB_PROJECT", "WANDB_API_KEY", "PYTHONPATH")
RESULT_FILES = ("config.yaml", "eval.csv", "final.json")  # final.json last: it marks complete
FAILED_OPTIONAL = ("eval.csv",)  # a failure record is exported with it where the run has it
OPTIONAL_FILES = ("episodes.csv",)  # exported when the run has it (runs since it was added)
DERIVED_FILES = (TRAIN_METRICS_FILE,)  # made from the run's files at export, when it has them
SWEEP_LOCK = ".sweep.lock"


@dataclass(frozen=True)
class Cell:
    algo: str
    dataset: str
    seed: int
    variant: str | None = None  # a point of the schedule's variants grid (cell_config.py)

    @property
    def name(self) -> str:
        """``<algo>/<dataset>/seed<N>``, or ``<algo>/<dataset>/<variant>/seed<N>``."""
        variant = f"{self.variant}/" if self.variant else ""
        return f"{self.algo}/{dataset_slug(self.dataset)}/{variant}seed{self.seed}"

    @property
    def group(self) -> str:
        """The cell without its seed: its folder's parent (``<algo>/<dataset>[/<variant>]``)."""
        return self.name.rsplit("/", 1)[0]


def expand(suite_name: str, seeds: int | Iterable[int], algos: list[str] | None = None,
           datasets: list[str] | None = None, schedule: dict[str, Any] | None = None
           ) -> list[Cell]:
    """The suite's cells; ``algos`` (any registered algorithm) or ``datasets`` narrow or replace
    the suite's lists. An algorithm with a variants grid in ``schedule`` has one cell per
    variant (``cell_config.variant_grid``) for each dataset and seed."""
    spec = suite(suite_name)
    algos = algos or spec["algos"]
    for a in algos:
        resolve_algo(a)
    seeds = range(seeds) if isinstance(seeds, int) else list(dict.fromkeys(seeds))
    if not seeds:
        raise CuratedRLError("a sweep needs at least one seed (--seeds N with N >= 1)")
    if min(seeds) < 0:
        raise CuratedRLError(f"seeds must be >= 0, got {min(seeds)} in --seeds")
    datasets = list(dict.fromkeys(datasets or spec["datasets"]))
    slugs: dict[str, str] = {}
    for d in datasets:
        other = slugs.setdefault(dataset_slug(d), d)
        if other != d:
            raise CuratedRLError(f"datasets {other!r} and {d!r} would share the cell folder "
                                 f"{dataset_slug(d)!r}; sweep them separately (another --root "
                                 f"and --results) or rename one")
    grids = {a: list(variant_grid(schedule or {}, a)) or [None] for a in algos}
    return [Cell(a, d, s, v) for a in algos for d in datasets for v in grids[a] for s in seeds]


def run_status(run_dir: Path) -> str | None:
    """"finished" or "failed" when the run directory's final.json is a valid record of either
    (``schema.final_problem``), else None (none yet, or a damaged one): what a sweep exports."""
    final, problem = read_final(Path(run_dir) / "final.json")
    return None if problem is not None else final["status"]


def export(run_dir: Path, dest: Path, schedule_name: str | None = None) -> None:
    """Copy a finished run's small files, or a failed run's (its failure record, config.yaml,
    and the other files where it has them), into the results tree, as one set
    (``fileio.atomic_write_dir``: a killed export leaves the old three files or the new three,
    never a new config.yaml beside an old final.json). With ``schedule_name`` (a registered
    schedule), a run from a modified tree or with a config beyond that schedule is refused
    (CuratedRLError) and nothing is written."""
    if schedule_name is not None:
        check_export(run_dir, schedule_name)
    optional = OPTIONAL_FILES + (FAILED_OPTIONAL if run_status(run_dir) == "failed" else ())
    files = {name: (run_dir / name).read_bytes() for name in optional
             if (run_dir / name).exists()}
    summary = train_summary(run_dir)  # a few rows of metrics.csv (the whole file is MBs)
    if summary is not None:
        files[TRAIN_METRICS_FILE] = summary
    for name in optional + DERIVED_FILES:  # a run without it replaces one that had it
        if name not in files:
            (dest / name).unlink(missing_ok=True)
    atomic_write_dir(dest, {**files, **{name: (run_dir / name).read_bytes()
                                        for name in RESULT_FILES if name not in optional}})


def ensure_datasets(cells: list[Cell]) -> None:
    """Make the suite's own datasets that are missing here (before any cell starts)."""
    from curatedrl.datasets.on_demand import ensure_default_dataset
    from curatedrl.datasets.minari_io import local_dataset_ids

    local = set(local_dataset_ids())
    for ds in dict.fromkeys(c.dataset for c in cells):
        if ds in local or Path(ds).is_file():
            continue
        if ds.startswith("curatedrl/"):
            ensure_default_dataset(ds, strict=True)
        else:
            raise CuratedRLError(f"dataset {ds!r} is neither stored locally nor a file; "
                                 f"download it with Minari first (minari download {ds})")


def sweep(cells: list[Cell], schedule: dict[str, Any], root: Path = Path("runs") / "sweeps",
          results: Path | None = Path("results"), backend: str = "local", workers: int = 1,
          address: str | None = None, extra: dict[str, Any] | None = None,
          wandb_group: str | None = None, gpu_fraction: float = 0.0, threads: int = 0,
          progress: bool = True, skip_exported: bool = False,
          dry_run: bool = False, export_as: str | None = None,
          seeds_per_process: int | None = None, source: str | None = None,
          retry_failed: bool = False) -> dict[str, list]:
    """Run the unfinished cells; returns {"finished", "skipped", "exported", "failed",
    "failed_before", "todo", "refused"} lists.

    ``source``: the data source of the cells (``sources.py``; None: the one their datasets
    belong to, ``ids.dataset_source``; a dataset of another source is refused in one line): they
    export to ``<results>/<schedule>/<source>/`` and, other than the default, run under
    ``<root>/<schedule>/<source>/`` (cells of the same name on other data never share a folder).
    ``export_as``: export to ``<results>/<export_as>/`` instead of the schedule's tables (for
    runs beyond the schedule); without it such runs are refused, one line each.
    ``skip_exported``: also skip cells the results tree already holds as finished with the same
    config (their run directory may be on another machine); they are neither rerun nor
    overwritten. ``dry_run``: list the cells that would run (and why) and return without
    running any. ``retry_failed``: run again the cells whose run (or exported folder) is a
    failure record of the same config; without it they are listed in "failed_before" and left
    as they are. ``seeds_per_process``: how many seeds of a cell train in one process,
    stacked (``seedgroups.py``; None: all of them where the algorithm stacks). Ctrl-C /
    SIGTERM raise ``KeyboardInterrupt`` saying how to resume."""
    if workers < 1:
        raise CuratedRLError(f"--workers must be >= 1, got {workers}")
    if backend not in ("local", "ray"):
        raise CuratedRLError(f"unknown backend {backend!r}; choose local or ray")
    if skip_exported and results is None:
        raise CuratedRLError("--skip-exported reads the results tree; drop --no-results")
    explicit = source is not None
    source = source or sources.implied([c.dataset for c in cells])
    sources.agree(source, [c.dataset for c in cells], explicit)
    check_output_dir(Path(root), "--root")
    if results is not None:
        check_output_dir(Path(results), "--results")
    table = f"{export_as or schedule['name']}/{source}"
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    overrides = {c: cell_overrides(c.algo, c.dataset, schedule, extra, c.variant)
                 for c in cells}
    hashes = data_hashes([c.dataset for c in cells])
    commit = git_commit()
    expected, defaults, cfgs = {}, {}, {}
    for c in cells:  # every cell's config resolves (unknown keys, ill-typed values) or none runs
        cls = resolve_algo(c.algo).config_cls
        try:
            cfg = config_from_dict(cls, {**overrides[c], "seed": c.seed, "dataset": c.dataset})
            if c.variant is not None:
                check_variant(c.variant, cfg)
        except CuratedRLError as exc:
            raise CuratedRLError(f"cell {c.name} (schedule {schedule['name']}): {exc}") from None
        data_hash, _, evaluation = hashes[c.dataset]
        expected[c] = resolved_config(c.algo, cfg, data_hash, threads, commit, evaluation,
                                      c.variant)
        cfgs[c] = cfg
        defaults[c] = {**resolved_config(c.algo, cls(seed=c.seed, dataset=c.dataset), None,
                                         threads, commit),
                       **recorded_before(c.dataset, evaluation)}
    seedgroups.check(seeds_per_process, cells, cfgs)
    if results is not None:  # after the configs: an ill-typed value is the first thing to fix
        check_sweep_export(schedule, extra, export_as)
    base = Path(root) / schedule["name"]
    base = base if source == "curatedrl" else base / source
    if dry_run:
        busy = is_locked(base / SWEEP_LOCK)
        if busy:
            print(f"sweep: {base} is in use by process {busy} (another sweep)")
        return plan(cells, schedule, base, results, skip_exported, expected, hashes, backend,
                    workers, dry_run=True, defaults=defaults, table=table,
                    retry_failed=retry_failed)[1]
    base.mkdir(parents=True, exist_ok=True)
    with DirLock(base, "sweep root", SWEEP_LOCK,
                 hint="; wait for that sweep to end, or pass another --root"):
        _remove_temporaries(base, None if results is None else Path(results) / table)
        state, out = plan(cells, schedule, base, results, skip_exported, expected, hashes,
                          backend, workers, defaults=defaults, table=table,
                          retry_failed=retry_failed)
        return _execute(cells, schedule, base, results, backend, workers, address, extra,
                        wandb_group, gpu_fraction, threads, progress, state, out, overrides,
                        table, export_as, seedgroups.groups(out["todo"], seeds_per_process, cfgs))


def _remove_temporaries(base: Path, exported: Path | None) -> None:
    """Temporary files and folders that killed writers left in the run directories and the
    exported results (``fileio.remove_stale_temporaries``); one line says how many."""
    removed = remove_stale_temporaries(base, recursive=True)
    if exported is not None:
        removed += remove_stale_temporaries(exported, recursive=True)
    if removed:
        print(f"sweep: removed {len(removed)} temporary file(s) left by killed writers "
              f"(first: {removed[0]})")


def _execute(cells, schedule, base, results, backend, workers, address, extra, wandb_group,
             gpu_fraction, threads, progress, state, out, overrides, table, export_as, groups
             ) -> dict[str, list]:
    todo = out["todo"]
    for c in todo:
        if state[c][0] in ("changed", "damaged"):
            dest = move_aside(base / c.name, base, c.name.replace("/", "__"))
            print(f"  {c.name}: {state[c][1]}; the old run directory is now {dest}")
    if todo:
        ensure_datasets(todo)
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    jobs = [(g, [str(base / c.name) for c in g], overrides[g[0]], env, threads, wandb_group)
            for g in groups]

    def publish(cell: Cell) -> None:  # as soon as a cell is finished or failed: a killed
        # sweep keeps it; nothing without a result or a failure record (a crash)
        if results is not None and run_status(base / cell.name) is not None:
            try:
                export(base / cell.name, Path(results) / table / cell.name,
                       None if export_as else schedule["name"])
            except CuratedRLError as exc:
                out["refused"].append(str(exc))
                print(f"  NOT EXPORTED {exc}")

    for c in out["skipped"] + [c for c in cells if state[c][0] == "failed"]:
        publish(c)  # a failed cell's record too (before it runs again, with --retry-failed)
    runner = run_ray if backend == "ray" else run_local
    outcomes: list[dict] = []
    children.reset()
    previous = children.sigterm_interrupts()
    try:
        if jobs:
            runner(jobs, workers, address, gpu_fraction, progress, publish, outcomes)
    except KeyboardInterrupt:
        children.stop_all()
        finished = [o["cell"] for o in outcomes if o["status"] == "finished"]
        stopped = [o["cell"] for o in outcomes if o["status"] == "stopped"]
        exported = f" and exported to {results}" if results is not None else ""
        raise KeyboardInterrupt(
            f"sweep interrupted: {len(finished)} cells finished{exported}, {len(stopped)} "
            f"stopped (each keeps its last checkpoint), {len(todo) - len(outcomes)} not run; "
            f"run the same command again to resume") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    failed = [o for o in outcomes if o["status"] != "finished"]
    finished = [o["cell"] for o in outcomes if o["status"] == "finished"]
    _report(finished, out["skipped"] + out["exported"], failed,
            [(c, state[c][1]) for c in out["failed_before"]])
    return {**out, "finished": finished, "failed": failed}


def _report(finished: list[Cell], skipped: list[Cell], failed: list[dict],
            before: list[tuple[Cell, str]]) -> None:
    again = f", {len(before)} failed before (not run again)" if before else ""
    print(f"sweep done: {len(finished)} finished, {len(skipped)} skipped (finished before), "
          f"{len(failed)} failed{again}")
    for o in failed:
        print(f"  FAILED {o['cell'].name}: {o['error']}\n    log: {o['log']}")
    for cell, why in before:
        print(f"  FAILED BEFORE {cell.name}: {why} (a failure record; --retry-failed runs it "
              f"again)")
