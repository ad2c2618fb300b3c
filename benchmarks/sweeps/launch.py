"""How a sweep's cells run: each job (one cell, or the stacked seeds of one algo x dataset) is
one ``curatedrl train`` subprocess, run ``workers`` at a time in threads (``local``) or as Ray
tasks (``ray``); each finished or failed cell is published (exported, a failed one where it
left a failure record) as soon as its job ends.
``sweep.py`` decides which cells run; this module only runs them."""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any


from curatedrl.errors import CuratedRLError
from curatedrl.benchmarks.sweeps import children
from curatedrl.run.loop.progress import progress as progress_display
from curatedrl.run.records.rundir import read_json_or_warn


def cell_status(run_dir: Path) -> str:
    """finished | failed | partial (started, no final.json) | pending, whatever the config
    (``cells.cell_state`` also compares the config)."""
    final = run_dir / "final.json"
    if final.exists():
        data = read_json_or_warn(final)  # unreadable: rerun the cell
        return "finished" if data is not None and data.get("status") == "finished" else "failed"
    return "partial" if run_dir.exists() else "pending"


def run_cell(cell, run_dir: str, overrides: dict[str, Any], env: dict[str, str],
             threads: int = 1, wandb_group: str | None = None) -> dict[str, Any]:
    """Train one cell in a subprocess; returns {"cell", "status", "error", "log"}.

    Also the body of the Ray task, so both backends run cells the same way. Returns status
    ``stopped`` when the sweep was interrupted before or while the cell ran."""
    run_dir = Path(run_dir)
    if children.stopping():
        return {"cell": cell, "status": "stopped", "error": None, "log": None}
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "curatedrl.cli", "train", "--algo", cell.algo,
           "--dataset", cell.dataset, "--seed", str(cell.seed), "--out", str(run_dir),
           *_variant(cell)]
    log = run_dir / "train.log"
    rc = _run_train(cmd, overrides, env, threads, wandb_group, log)
    status = cell_status(run_dir)
    error = None
    if status != "finished" and children.stopping():
        return {"cell": cell, "status": "stopped", "error": None, "log": str(log)}
    if rc != 0 or status != "finished":
        tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-3:]
        error = f"exit code {rc}: " + " | ".join(tail)
        status = "failed"
    return {"cell": cell, "status": status, "error": error, "log": str(log)}


def run_cells(cells: list, run_dirs: list[str], overrides: dict[str, Any],
              env: dict[str, str], threads: int = 1, wandb_group: str | None = None
              ) -> list[dict[str, Any]]:
    """Train seeds of one algorithm x dataset in one subprocess (``train --seeds``, stacked;
    one cell: ``run_cell``); one outcome per cell. The job of both backends. The process's log
    is ``<run dirs' parent>/train-seeds<a>-<b>...log``."""
    if len(cells) == 1:
        return [run_cell(cells[0], run_dirs[0], overrides, env, threads, wandb_group)]
    parent = Path(run_dirs[0]).parent
    if children.stopping():
        return [{"cell": c, "status": "stopped", "error": None, "log": None} for c in cells]
    parent.mkdir(parents=True, exist_ok=True)
    seeds = [str(c.seed) for c in cells]
    cmd = [sys.executable, "-m", "curatedrl.cli", "train", "--algo", cells[0].algo,
           "--dataset", cells[0].dataset, "--seeds", ",".join(seeds), "--out", str(parent),
           *_variant(cells[0])]
    log = parent / f"train-seeds{'-'.join(seeds)}.log"
    rc = _run_train(cmd, overrides, env, threads, wandb_group, log)
    out = []
    for c, run_dir in zip(cells, run_dirs):
        status, error = cell_status(Path(run_dir)), None
        if status != "finished" and children.stopping():
            status = "stopped"
        elif rc != 0 or status != "finished":
            tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-3:]
            error, status = f"exit code {rc}: " + " | ".join(tail), "failed"
        out.append({"cell": c, "status": status, "error": error, "log": str(log)})
    return out


def _variant(cell) -> list[str]:
    """``--variant NAME`` for a cell of a schedule's variants grid (recorded by the run)."""
    variant = getattr(cell, "variant", None)
    return ["--variant", variant] if variant else []


def _run_train(cmd: list[str], overrides: dict[str, Any], env: dict[str, str], threads: int,
               wandb_group: str | None, log: Path) -> int | None:
    for key, value in overrides.items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    if wandb_group:
        cmd += ["--wandb", "--wandb-group", wandb_group]
    child_env = {**os.environ, **env, "OMP_NUM_THREADS": str(threads),
                 "MKL_NUM_THREADS": str(threads), "TQDM_DISABLE": "1",
                 "CURATEDRL_SWEEP_PID": str(os.getpid())}
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        return children.run(cmd, f, child_env)


def _collect(job_outcomes: list[dict], outcomes: list[dict], bar, publish) -> None:
    for outcome in job_outcomes:  # one per cell of the job
        outcomes.append(outcome)
        if outcome["status"] in ("finished", "failed"):  # publish exports a failure record
            publish(outcome["cell"])
        bar.update(1)
    bar.set_postfix(failed=sum(o["status"] == "failed" for o in outcomes))


# The main thread waits for jobs in slices of this many seconds. A signal the kernel delivers to
# a worker thread (it picks any thread) only sets Python's flag; a main thread blocked in one
# long wait would not run the SIGTERM / Ctrl-C handler until a job ended (an orphaned sweep
# ignored SIGTERM for minutes), so it wakes up this often to run it.
WAKE_S = 0.5


def run_local(jobs, workers, address, gpu_fraction, progress, publish, outcomes) -> None:
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(run_cells, *job) for job in jobs]
    try:
        with progress_display(total=sum(len(j[0]) for j in jobs), desc="cells",
                              enabled=progress) as bar:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=WAKE_S, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=futures.index):  # in submission order
                    _collect(fut.result(), outcomes, bar, publish)
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        children.stop_all()
        for fut in futures:  # the cells that were running: finished ones are still exported
            for o in ([] if fut.cancelled() else fut.result()):
                if o not in outcomes:
                    outcomes.append(o)
                    if o["status"] == "finished":
                        publish(o["cell"])
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_ray(jobs, workers, address, gpu_fraction, progress, publish, outcomes) -> None:
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
    task = ray.remote(num_cpus=1, num_gpus=gpu_fraction)(run_cells)
    pending = [task.remote(*job) for job in jobs]
    try:
        with progress_display(total=sum(len(j[0]) for j in jobs), desc="cells (ray)",
                              enabled=progress) as bar:
            while pending:
                done, pending = ray.wait(pending, num_returns=1, timeout=WAKE_S)
                for ref in done:
                    _collect(ray.get(ref), outcomes, bar, publish)
    except KeyboardInterrupt:
        for ref in pending:  # the worker dies; its train child gets SIGTERM (parent-death)
            ray.cancel(ref, force=True)
        raise
