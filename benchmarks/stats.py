"""Aggregate statistics over seeds and datasets, with rliable's stratified bootstrap.

Scores are arranged as rliable expects: a matrix of shape (runs, tasks), one column per dataset
and one row per seed. Bootstraps use a fixed ``RandomState`` so the same results give the same
intervals, digit for digit.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP_REPS = 2000
BOOTSTRAP_SEED = 0


def mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation over seeds (None for a single seed)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), (float(arr.std(ddof=1)) if arr.size > 1 else None)


def score_matrix(per_dataset: dict[str, list[float]], datasets: list[str]) -> np.ndarray:
    """(runs, tasks) with the same number of seeds per task: the smallest count available."""
    runs = min(len(per_dataset[d]) for d in datasets)
    return np.array([[per_dataset[d][i] for d in datasets] for i in range(runs)], dtype=float)


def bootstrap_rng() -> np.random.RandomState:
    import warnings

    # arch (rliable's bootstrap) deprecates random_state= but still honours it, digit for digit
    warnings.filterwarnings("ignore", message="random_state is deprecated", category=FutureWarning)
    return np.random.RandomState(BOOTSTRAP_SEED)


def iqm_with_ci(scores: np.ndarray) -> tuple[float, float, float]:
    """Interquartile mean over all runs and tasks with its 95% stratified-bootstrap interval."""
    from rliable import library as rly
    from rliable import metrics

    point, interval = rly.get_interval_estimates(
        {"x": scores}, lambda x: np.array([metrics.aggregate_iqm(x)]), reps=BOOTSTRAP_REPS,
        random_state=bootstrap_rng())
    return float(point["x"][0]), float(interval["x"][0, 0]), float(interval["x"][1, 0])


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """P(X > Y) averaged over tasks (Agarwal et al. 2021) with its 95% bootstrap interval."""
    from rliable import library as rly
    from rliable import metrics

    point, interval = rly.get_interval_estimates(
        {"xy": [x, y]}, lambda a, b: np.array([metrics.probability_of_improvement(a, b)]),
        reps=BOOTSTRAP_REPS, random_state=bootstrap_rng())
    return float(point["xy"][0]), float(interval["xy"][0, 0]), float(interval["xy"][1, 0])
