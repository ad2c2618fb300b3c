"""Aggregate statistics over seeds and datasets with stratified-bootstrap confidence intervals.

Scores are arranged as in rliable (Agarwal et al. 2021): a matrix of shape (runs, tasks), one
column per dataset and one row per seed. Point estimates use rliable's metric definitions; the
intervals come from the same stratified bootstrap (runs resampled with replacement within each
task, percentile interval), vectorised over resamples here because rliable's loop over
resamples costs seconds per interval. A fixed seed makes every interval reproducible, digit for
digit.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP_REPS = 2000
BOOTSTRAP_SEED = 0


def mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation over seeds (None for a single seed)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), (float(arr.std(ddof=1)) if arr.size > 1 else None)


def full_seed_datasets(counts: dict[str, int]) -> list[str]:
    """The datasets with the most seeds: a (runs, tasks) matrix over them loses no run of theirs
    to a dataset whose sweep has only started."""
    top = max(counts.values(), default=0)
    return [d for d, n in counts.items() if n == top and n > 0]


def algo_matrix(per_dataset: dict[str, list[float]]) -> tuple[list[str], np.ndarray] | None:
    """An algorithm's (runs, tasks) matrix over its datasets with the most seeds, with those
    datasets; None when it has no results."""
    datasets = full_seed_datasets({d: len(v) for d, v in per_dataset.items()})
    return (datasets, score_matrix(per_dataset, datasets)) if datasets else None


def score_matrix(per_dataset: dict[str, list[float]], datasets: list[str]) -> np.ndarray:
    """(runs, tasks) with the same number of seeds per task: the smallest count available."""
    runs = min(len(per_dataset[d]) for d in datasets)
    return np.array([[per_dataset[d][i] for d in datasets] for i in range(runs)], dtype=float)


def stratified_resamples(scores: np.ndarray, rng: np.random.Generator,
                         reps: int = BOOTSTRAP_REPS) -> np.ndarray:
    """(reps, runs, tasks): each task's runs drawn with replacement, tasks kept fixed."""
    runs, tasks = scores.shape
    idx = rng.integers(0, runs, size=(reps, runs, tasks))
    return scores[idx, np.arange(tasks)]


def iqm(scores: np.ndarray) -> np.ndarray:
    """Interquartile mean over runs and tasks (the last two axes), as rliable's aggregate_iqm:
    the mean of the middle 50% of all scores."""
    from scipy.stats import trim_mean

    flat = scores.reshape(*scores.shape[:-2], -1)
    return trim_mean(flat, proportiontocut=0.25, axis=-1)


def improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) per rliable: for each task the Mann-Whitney probability that a run of X beats a
    run of Y (ties count half), averaged over tasks; batched over leading axes."""
    gt = (x[..., :, None, :] > y[..., None, :, :]).mean(axis=(-3, -2))
    eq = (x[..., :, None, :] == y[..., None, :, :]).mean(axis=(-3, -2))
    return (gt + 0.5 * eq).mean(axis=-1)


def _interval(samples: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return float(lo), float(hi)


def iqm_with_ci(scores: np.ndarray) -> tuple[float, float, float]:
    """IQM with its 95% stratified-bootstrap interval."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    return (float(iqm(scores)), *_interval(iqm(stratified_resamples(scores, rng))))


def mean_with_ci(scores: np.ndarray) -> tuple[float, float, float]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    samples = stratified_resamples(scores, rng).mean(axis=(-2, -1))
    return (float(scores.mean()), *_interval(samples))


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """P(X > Y) with its 95% interval (X's and Y's runs resampled independently per task)."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    samples = improvement(stratified_resamples(x, rng), stratified_resamples(y, rng))
    return (float(improvement(x, y)), *_interval(samples))
