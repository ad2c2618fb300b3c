"""Runs of two schedules that fine-tuned the same π_ref, compared: a run of one section and the
run of another schedule's section with the same algorithm, dataset and seed form a pair when
both trained or loaded a stage 1 (a final.json ``reference_key``) with the same stage-1 inputs:
the fields of the stage-1 cache key (``run/loop/reference.py``), read from final.json (data
hash, seed) and config.yaml (stage-1 steps, episodes per batch, learning rate, steps per
episode, device, torch threads). The key string itself is not compared: the commit that added
the thread count to it changed every key without changing π_ref (docs/decisive.md measures the
two commits' π_ref bytes equal). The two runs then differ only in how they fine-tuned. Per
algorithm and dataset: the mean difference of the last normalised score (this section − the
other) with its 95% t-interval and the number of pairs. Descriptive only: no test, no claim.
Runs with a counterpart of the same seed but other (or unrecorded) stage-1 inputs are not
paired, and counted."""

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
    unequal: int = 0  # same algorithm, dataset and seed on both sides, other stage-1 inputs
    others: int = 0  # the other section's averaged runs of these algorithms and datasets


STAGE_ONE = ("ref_steps", "ref_batch_size", "ref_lr", "device", "threads")  # config.yaml
# fields of the stage-1 cache key, beside its steps per episode (``stage_one_k``)


def reference_key(run) -> str | None:
    """A run's final.json ``reference_key`` (a non-empty string), else None."""
    key = run.final.get("reference_key")
    return key if isinstance(key, str) and key else None


def stage_one_inputs(run) -> tuple | None:
    """The inputs of a run's stage 1 (π_ref), or None when it has no reference key or its
    config.yaml lacks one of them."""
    config = getattr(run, "config", None)
    if reference_key(run) is None or not isinstance(config, dict) \
            or any(k not in config for k in STAGE_ONE) or stage_one_k(config) is None:
        return None
    return (run.final.get("dataset_hash"), run.final.get("seed"), stage_one_k(config),
            *(repr(config[k]) for k in STAGE_ONE))


def stage_one_k(config: dict) -> int | None:
    """Stage 1's steps per episode (0: whole episodes): ``ref_steps_per_episode``, or when it is
    null the fine-tuning's ``steps_per_episode`` (``algos/filtered_bc.reference_config``); None
    when neither is recorded."""
    k = config.get("ref_steps_per_episode")
    k = config.get("steps_per_episode") if k is None else k
    return k if isinstance(k, int) and not isinstance(k, bool) else None


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
        inputs = stage_one_inputs(run)
        if inputs is None or inputs != stage_one_inputs(other):
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
