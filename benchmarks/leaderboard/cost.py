"""What one run cost, in core-hours, and its learning curve against that cost.

Unit: **core-hours per run** = wall-clock hours × the torch threads the process used
(final.json ``threads``, else the ``torch threads N`` of its ``hardware`` line, else 1); the
evaluation environments run in the same process and are included. A GPU run (``device`` cuda)
counts GPU-hours (wall-clock hours) instead and is labelled so. A process that trained several
seeds stacked (``stacked_seeds``) records its whole wall time in each: each seed's run counts
its share, wall × threads / number of seeds.

Stage 1 of the two-stage algorithms (π_ref) is trained before stage 2 in the same process and
its time is in ``wall_time_s`` and in every ``time_s`` of eval.csv, unless the run found π_ref
in the cache (``reference_cached: true``). Such a run is charged the stage-1 time of the run
that trained that π_ref (the same ``reference_key``, ``reference_cached: false``, anywhere in
results/): the time that run spent before its first gradient step, read off its eval.csv by
extrapolating ``time_s`` linearly from its first two evaluations back to step 0, less the same
quantity of the charged run (its own setup), never below 0. A run whose π_ref trainer is not in
results/ (or has fewer than two evaluations) is charged nothing, and the pages count it.

The ``bc`` run of a paper schedule *is* stage 1 (it replays the cached π_ref with its
evaluations): its time before the first step is spread evenly over its steps on the curve.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.run.records.rundir import read_csv

_THREADS = re.compile(r",?\s*torch threads \d+")


def threads(run: Run) -> int:
    """The torch threads of the run's process (1 when it does not say)."""
    value = run.final.get("threads")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    found = re.search(r"torch threads (\d+)", str(run.final.get("hardware", "")))
    return max(1, int(found.group(1))) if found else 1


def on_gpu(run: Run) -> bool:
    return str(run.final.get("device", "cpu")).startswith("cuda")


def hardware_key(run: Run) -> str:
    """The machine a run's cost was measured on: its hardware line without the thread count
    (threads enter the unit), marked GPU-hours for a GPU run."""
    text = _THREADS.sub("", str(run.final.get("hardware", "unknown"))).strip() or "unknown"
    return text + (" (GPU-hours)" if on_gpu(run) else "")


def _share(run: Run) -> float:
    """core-hours per second of the run's process time: threads, split among stacked seeds."""
    per = 1.0 if on_gpu(run) else float(threads(run))
    return per / max(1, len(run.final.get("stacked_seeds") or [0])) / 3600.0


def timed_curve(run: Run) -> list[tuple[int, float, float]]:
    """(step, time_s, normalised score) of each row of the run's eval.csv, in step order; []
    without one, without ``time_s`` or with any value that is not a finite number."""
    if run.path is None or not (run.path / "eval.csv").exists():
        return []
    try:
        rows = read_csv(run.path / "eval.csv")
        points = [(int(r["step"]), float(r["time_s"]), float(r["normalized_mean"]))
                  for r in rows]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return []
    if not all(math.isfinite(t) and math.isfinite(s) and t >= 0 for _, t, s in points):
        return []
    return sorted(points)


def pre_training_seconds(curve: list[tuple[int, float, float]]) -> float | None:
    """Process time before the first gradient step: ``time_s`` extrapolated linearly from the
    first two evaluations back to step 0 (None with fewer than two)."""
    if len(curve) < 2 or curve[1][0] <= curve[0][0]:
        return None
    (s1, t1, _), (s2, t2, _) = curve[:2]
    return max(0.0, t1 - s1 * (t2 - t1) / (s2 - s1))


def is_stage_one(run: Run) -> bool:
    """Whether the run is the stage-1 BC itself (it carries a reference key, has no stage 2)."""
    if not run.final.get("reference_key"):
        return False
    cls = ALGOS.get(run.algo)
    two_stage = hasattr(cls.config_cls(), "ref_steps") if cls is not None else \
        bool((run.config or {}).get("ref_steps"))
    return not two_stage


@dataclass
class RunCost:
    hours: float  # core-hours per run (GPU-hours on a GPU), stage 1 included
    stage_one_hours: float  # of which: time before the first step (stage 1, setup) or charged
    charged: str  # "" (trained its own or none), "charged" or "not found"
    curve: list[tuple[int, float, float]] = field(default_factory=list)  # (step, hours, score)


def _trainers(runs: list[Run]) -> dict[str, Run]:
    """reference_key -> the first run (in results order) that trained that π_ref."""
    out: dict[str, Run] = {}
    for r in runs:
        key = r.final.get("reference_key")
        if isinstance(key, str) and r.final.get("reference_cached") is False:
            out.setdefault(key, r)
    return out


def run_costs(runs: list[Run], every: list[Run] | None = None) -> dict[int, RunCost]:
    """``id(run)`` -> its ``RunCost`` for each of ``runs``; a cached π_ref's trainer is looked
    for in ``every`` (default ``runs``)."""
    trainers = _trainers(every if every is not None else runs)
    out = {}
    for r in runs:
        share = _share(r)
        curve = timed_curve(r)
        pre = pre_training_seconds(curve)
        charge, charged = 0.0, ""
        key = r.final.get("reference_key")
        if r.final.get("reference_cached") is True:
            trainer = trainers.get(key) if isinstance(key, str) else None
            trained = pre_training_seconds(timed_curve(trainer)) if trainer is not None else None
            if trained is None:
                charged = "not found"
            else:
                charged = "charged"
                charge = max(0.0, trained * _share(trainer) - (pre or 0.0) * share)
        total = float(r.final.get("wall_time_s", 0.0)) * share + charge
        before = (pre or 0.0) * share + charge
        steps = max(1, int(r.final["steps"]))
        points = []
        for step, t, score in curve:
            hours = t * share + charge
            if is_stage_one(r):  # stage 1 replayed: its training time spread over its steps
                hours -= before * (1.0 - min(step, steps) / steps)
            points.append((step, hours, score))
        out[id(r)] = RunCost(total, before, charged, points)
    return out
