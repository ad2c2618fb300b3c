"""`curatedrl sweep`: run a suite's algo x dataset x seed cells, locally or on Ray.

Each cell is one ``curatedrl train`` process (a crash or an out-of-memory kill costs that cell
only), writing its run directory under ``<root>/<schedule>/<algo>/<dataset>/seed<N>``. A cell
whose ``final.json`` says ``finished`` is skipped, so a killed sweep started again with the same
command runs only the unfinished cells. With ``skip_exported`` a cell whose exported
``final.json`` in the results tree says ``finished`` is skipped too, so a sweep can go on from
a fresh clone of committed results on another machine. Failed cells are reported at the end
(with the last lines of their log) while the others go on. Finished cells are exported to
``<results>/<schedule>/<algo>/<dataset>/seed<N>/`` (final.json, eval.csv, config.yaml): the small
files the leaderboard is built from.

Backends: ``local`` runs ``--workers`` cells at a time in subprocesses and needs no Ray; ``ray``
runs the same cells as Ray tasks (one CPU each, plus a GPU fraction when the device is CUDA) on
a local Ray instance or an existing cluster (``--address``; the datasets and the repository must
then be at the same paths on every node).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tqdm.auto import tqdm

from curatedrl.benchmarks.configs import cell_overrides, dataset_slug, suite
from curatedrl.benchmarks.rundir import atomic_write, read_json_or_warn
from curatedrl.benchmarks.train import resolve_algo
from curatedrl.errors import CuratedRLError

# Environment variables a cell needs from the sweep's environment (also passed to Ray workers).
PASS_ENV = ("MINARI_DATASETS_PATH", "CURATEDRL_CACHE", "WANDB_MODE", "WANDB_DIR",
            "WANDB_PROJECT", "WANDB_API_KEY", "PYTHONPATH")
RESULT_FILES = ("config.yaml", "eval.csv", "final.json")  # final.json last: it marks complete


@dataclass(frozen=True)
class Cell:
    algo: str
    dataset: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.algo}/{dataset_slug(self.dataset)}/seed{self.seed}"


def expand(suite_name: str, seeds: int | Iterable[int], algos: list[str] | None = None,
           datasets: list[str] | None = None) -> list[Cell]:
    """The suite's cells; ``algos`` (any registered algorithm) or ``datasets`` narrow or replace
    the suite's lists."""
    spec = suite(suite_name)
    algos = algos or spec["algos"]
    for a in algos:
        resolve_algo(a)
    seeds = range(seeds) if isinstance(seeds, int) else list(seeds)
    if not seeds:
        raise CuratedRLError("a sweep needs at least one seed (--seeds N with N >= 1)")
    return [Cell(a, d, s) for a in algos for d in (datasets or spec["datasets"]) for s in seeds]


def cell_status(run_dir: Path) -> str:
    """finished | failed | partial (started, no final.json) | pending."""
    final = run_dir / "final.json"
    if final.exists():
        data = read_json_or_warn(final)  # unreadable: rerun the cell
        return "finished" if data is not None and data.get("status") == "finished" else "failed"
    return "partial" if run_dir.exists() else "pending"


def run_cell(cell: Cell, run_dir: str, overrides: dict[str, Any], env: dict[str, str],
             threads: int = 1, wandb_group: str | None = None) -> dict[str, Any]:
    """Train one cell in a subprocess; returns {"cell", "status", "error", "log"}.

    Also the body of the Ray task, so both backends run cells the same way."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "curatedrl.cli", "train", "--algo", cell.algo,
           "--dataset", cell.dataset, "--seed", str(cell.seed), "--out", str(run_dir)]
    for key, value in overrides.items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    if wandb_group:
        cmd += ["--wandb", "--wandb-group", wandb_group]
    child_env = {**os.environ, **env, "OMP_NUM_THREADS": str(threads),
                 "MKL_NUM_THREADS": str(threads), "TQDM_DISABLE": "1"}
    log = run_dir / "train.log"
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=child_env).returncode
    status = cell_status(run_dir)
    error = None
    if rc != 0 or status != "finished":
        tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-3:]
        error = f"exit code {rc}: " + " | ".join(tail)
        status = "failed"
    return {"cell": cell, "status": status, "error": error, "log": str(log)}


def export(run_dir: Path, dest: Path) -> None:
    """Copy a finished run's small files into the results tree (each copy atomic)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in RESULT_FILES:
        data = (run_dir / name).read_bytes()
        atomic_write(dest / name, lambda f: f.write(data), binary=True)


def ensure_datasets(cells: list[Cell]) -> None:
    """Make the suite's own datasets that are missing here (before any cell starts)."""
    from curatedrl.datasets.defaults import ensure_default_dataset
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
          dry_run: bool = False) -> dict[str, list]:
    """Run the unfinished cells; returns {"finished", "skipped", "exported", "failed", "todo"}
    lists.

    ``skip_exported``: also skip cells the results tree already holds as finished (their run
    directory may be on another machine); they are neither rerun nor overwritten.
    ``dry_run``: list the cells that would run (and why) and return without running any."""
    if workers < 1:
        raise CuratedRLError(f"--workers must be >= 1, got {workers}")
    if backend not in ("local", "ray"):
        raise CuratedRLError(f"unknown backend {backend!r}; choose local or ray")
    if skip_exported and results is None:
        raise CuratedRLError("--skip-exported reads the results tree; drop --no-results")
    base = Path(root) / schedule["name"]
    run_dirs = {c: base / c.name for c in cells}
    status = {c: cell_status(run_dirs[c]) for c in cells}
    if skip_exported:
        status.update({c: "exported" for c in cells if status[c] != "finished" and cell_status(
            Path(results) / schedule["name"] / c.name) == "finished"})
    skipped = [c for c in cells if status[c] == "finished"]
    exported = [c for c in cells if status[c] == "exported"]
    todo = [c for c in cells if status[c] not in ("finished", "exported")]
    in_results = f", {len(exported)} already in {results}" if skip_exported else ""
    print(f"sweep: {len(cells)} cells, {len(skipped)} already finished{in_results}, "
          f"{len(todo)} to run (schedule {schedule['name']}, backend {backend}, "
          f"{workers} workers)")
    if dry_run:
        for c in todo:
            print(f"  would run {c.name} ({status[c]})")
        return {"finished": [], "skipped": skipped, "exported": exported, "failed": [],
                "todo": todo}
    if todo:
        ensure_datasets(todo)
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    jobs = [(c, str(run_dirs[c]), cell_overrides(c.algo, c.dataset, schedule, extra), env,
             threads, wandb_group) for c in todo]

    def publish(cell: Cell) -> None:  # as soon as a cell is finished: a killed sweep keeps it
        if results is not None:
            export(run_dirs[cell], Path(results) / schedule["name"] / cell.name)

    for c in skipped:
        publish(c)
    runner = _run_ray if backend == "ray" else _run_local
    outcomes = runner(jobs, workers, address, gpu_fraction, progress, publish) if jobs else []
    failed = [o for o in outcomes if o["status"] != "finished"]
    finished = [o["cell"] for o in outcomes if o["status"] == "finished"]
    _report(finished, skipped + exported, failed)
    return {"finished": finished, "skipped": skipped, "exported": exported, "failed": failed,
            "todo": todo}


def _collect(outcome: dict, outcomes: list[dict], bar, publish) -> None:
    outcomes.append(outcome)
    if outcome["status"] == "finished":
        publish(outcome["cell"])
    bar.update(1)
    bar.set_postfix(failed=sum(o["status"] != "finished" for o in outcomes))


def _run_local(jobs, workers, address, gpu_fraction, progress, publish) -> list[dict]:
    outcomes = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_cell, *job) for job in jobs]
        with tqdm(total=len(futures), desc="cells", disable=not progress) as bar:
            for fut in as_completed(futures):
                _collect(fut.result(), outcomes, bar, publish)
    return outcomes


def _run_ray(jobs, workers, address, gpu_fraction, progress, publish) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise CuratedRLError("the ray backend needs Ray: pip install -e '.[ray]' (or use "
                             "--backend local)") from None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=1, num_gpus=gpu_fraction)(run_cell)
    pending = [task.remote(*job) for job in jobs]
    outcomes = []
    with tqdm(total=len(pending), desc="cells (ray)", disable=not progress) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            _collect(ray.get(done[0]), outcomes, bar, publish)
    return outcomes


def _report(finished: list[Cell], skipped: list[Cell], failed: list[dict]) -> None:
    print(f"sweep done: {len(finished)} finished, {len(skipped)} skipped (finished before), "
          f"{len(failed)} failed")
    for o in failed:
        print(f"  FAILED {o['cell'].name}: {o['error']}\n    log: {o['log']}")
