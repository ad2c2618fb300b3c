"""`curatedrl bench --only sweep`: wall time of one sweep cell's seeds trained stacked in one
process (``--seeds-per-process N``) vs one process per seed, run one after another, as a
one-worker sweep runs them. Each side is a real ``sweep`` (subprocesses, data loading,
evaluation, run directories, export) into a scratch folder, at a short schedule."""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path

from curatedrl.benchmarks.sweeps.sweep import Cell, sweep


def bench_sweep_seeds(dataset: str, machine: str, algo: str = "td3_bc", seeds: int = 3,
                      steps: int = 1000, final_eval_episodes: int = 10) -> list[str]:
    schedule = {"name": "bench", "common": {"steps": steps, "eval_every": 0,
                                            "final_eval_episodes": final_eval_episodes},
                "per_algo": {}}
    cells = [Cell(algo, dataset, s) for s in range(seeds)]
    times = {}
    for n in (seeds, 1):
        with tempfile.TemporaryDirectory(prefix="curatedrl-bench-sweep-") as tmp:
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the sweep's own report lines
                out = sweep(cells, schedule, Path(tmp) / "runs", Path(tmp) / "results",
                            threads=1, progress=False, seeds_per_process=n)
            times[n] = time.perf_counter() - start
            if out["failed"] or len(out["finished"]) != seeds:
                raise RuntimeError(f"bench sweep with --seeds-per-process {n} failed: "
                                   f"{out['failed']}")
    return [f"sweep cell {algo} on {dataset}, {seeds} seeds x {steps} steps (batch 256) + "
            f"{final_eval_episodes} final eval episodes each: one process, stacked "
            f"{times[seeds]:.1f} s vs {seeds} processes one after another {times[1]:.1f} s "
            f"({times[1] / times[seeds]:.2f}x) [{machine}, cpu]"]
