"""Runs of two schedules that fine-tuned the same π_ref, compared: a run of one section and the
run of another schedule's section with the same algorithm, dataset and seed form a pair when
their final.json ``reference_key`` (the stage-1 cache key: same data, seed and stage-1 settings)
is equal, so the two differ only in how they fine-tuned. Per algorithm and dataset: the mean
difference of the last normalised score (this section − the other) with its 95% t-interval and
the number of pairs. Descriptive only: no test, no claim. Runs with a counterpart of the same
seed but another (or no) reference key are not paired, and counted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from curatedrl.benchmarks.leaderboard.paired import paired_t


@dataclass(frozen=True)
class PairRow:
    algo: str
    dataset: str
    pairs: int
    mean: float  # mean difference, this section − the other
    lo: float | None = None  # its 95% t-interval (None with one pair)
    hi: float | None = None


@dataclass
class Pairing:
    rows: list[PairRow] = field(default_factory=list)
    unequal: int = 0  # same algorithm, dataset and seed on both sides, other reference keys
    others: int = 0  # the other section's averaged runs of these algorithms and datasets


def reference_key(run) -> str | None:
    """A run's final.json ``reference_key`` (a non-empty string), else None."""
    key = run.final.get("reference_key")
    return key if isinstance(key, str) and key else None


def pair_runs(runs: list, others: list, algos: tuple[str, ...], datasets: tuple[str, ...]
              ) -> Pairing:
    """Pairs of ``runs`` (this section's averaged runs) and ``others`` (the other section's),
    per algorithm of ``algos`` and dataset of ``datasets``, in that order."""
    wanted = [r for r in others if r.algo in algos and r.dataset in datasets]
    by_cell = {(r.algo, r.dataset, int(r.final["seed"])): r for r in wanted}
    out = Pairing(others=len(wanted))
    diffs: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for run in runs:
        seed = int(run.final["seed"])
        other = by_cell.get((run.algo, run.dataset, seed))
        if other is None:
            continue
        key = reference_key(run)
        if key is None or key != reference_key(other):
            out.unequal += 1
            continue
        diffs.setdefault((run.algo, run.dataset), []).append(
            (seed, float(run.final["normalized_score_last"]) -
             float(other.final["normalized_score_last"])))
    for algo in algos:
        for d in datasets:
            found = [v for _, v in sorted(diffs.get((algo, d), []))]
            if len(found) == 1:
                out.rows.append(PairRow(algo, d, 1, found[0]))
            elif found:
                mean, lo, hi, _ = (float(v) for v in paired_t(np.array(found)))
                out.rows.append(PairRow(algo, d, len(found), mean, lo, hi))
    return out
