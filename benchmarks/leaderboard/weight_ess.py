"""The importance-weight effective sample size of a section's runs, from their training
summaries (``train_metrics.csv``: metrics.csv's rows at the evaluation steps and the last step;
``train_metrics.py``): per algorithm and dataset, the ESS at each run's last step (mean and min
over seeds) and each run's mean over its exported rows (averaged over runs), with how many of
the runs record it. Descriptive: a measurement of how concentrated iw-BC's weights were."""

from __future__ import annotations

from dataclasses import dataclass

from curatedrl.benchmarks.leaderboard.train_metrics import ESS


@dataclass(frozen=True)
class EssRow:
    algo: str
    dataset: str
    runs: int  # the section's runs of this algorithm and dataset
    covered: int  # of which record the ESS at their last exported row
    last_mean: float | None = None  # ESS at the last step: mean over the covered runs
    last_min: float | None = None  # ... and min
    rows_mean: float | None = None  # mean over runs of each run's mean over its exported rows


def run_ess(rows: list[dict] | None) -> tuple[float, float] | None:
    """(ESS at the last row, mean over the rows that record it) of one run's training summary;
    None when it has none or its last row does not record the ESS."""
    if not rows or rows[-1].get(ESS) is None:
        return None
    values = [r[ESS] for r in rows if r.get(ESS) is not None]
    return rows[-1][ESS], sum(values) / len(values)


def ess_rows(runs: list, algos: tuple[str, ...], datasets: tuple[str, ...]) -> list[EssRow]:
    """One row per algorithm of ``algos`` and dataset of ``datasets`` with runs (results.Run,
    their ``train_metrics`` already read and checked), in that order."""
    out = []
    for algo in algos:
        for d in datasets:
            mine = sorted((r for r in runs if r.algo == algo and r.dataset == d),
                          key=lambda r: int(r.final["seed"]))
            if not mine:
                continue
            found = [e for e in (run_ess(getattr(r, "train_metrics", None)) for r in mine)
                     if e is not None]
            if not found:
                out.append(EssRow(algo, d, len(mine), 0))
                continue
            last = [e[0] for e in found]
            out.append(EssRow(algo, d, len(mine), len(found), sum(last) / len(last), min(last),
                              sum(e[1] for e in found) / len(found)))
    return out
