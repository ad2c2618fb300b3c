"""Episode filters. Each returns an ``EpisodeView``: episode indices into the dataset (repetition
allowed) and optional sampling weights. Nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError

PAPER_PERCENTILES = (90.0, 95.0, 98.0)


def strata_unique(returns: np.ndarray) -> int:
    """Unique episodes in the paper's curated strata (top-10% ∪ top-5% ∪ top-2% = top-10%)."""
    return int(np.sum(returns >= np.percentile(returns, min(PAPER_PERCENTILES))))


@dataclass(eq=False)
class EpisodeView:
    """A selection of a dataset's episodes.

    Attributes:
        dataset: the underlying ``EpisodeDataset``.
        episodes: (K,) int64 indices into ``dataset``'s episodes; an index may repeat.
        weights: (K,) float64 non-negative sampling weights, or None for uniform.
        description: how the view was made (for configs and logs).
    """

    dataset: EpisodeDataset
    episodes: np.ndarray
    weights: np.ndarray | None = None
    description: str = "all"

    def __post_init__(self) -> None:
        self.episodes = np.asarray(self.episodes, dtype=np.int64)
        if len(self.episodes) == 0:
            r = self.dataset.returns
            raise CuratedRLError(
                f"filter {self.description!r} leaves zero episodes of "
                f"{self.dataset.metadata.dataset_id!r} (its {len(r)} episode returns range "
                f"from {r.min():.6g} to {r.max():.6g}); loosen it"
            )
        if self.weights is not None:
            self.weights = np.asarray(self.weights, dtype=np.float64)
            if self.weights.shape != self.episodes.shape or np.any(self.weights < 0) \
                    or not np.isfinite(self.weights).all() or self.weights.sum() <= 0:
                raise ValueError("weights must be finite, non-negative, not all zero, one each")

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    @property
    def returns(self) -> np.ndarray:
        return self.dataset.returns[self.episodes]

    @property
    def lengths(self) -> np.ndarray:
        return self.dataset.lengths[self.episodes]

    @property
    def num_steps(self) -> int:
        return int(self.lengths.sum())

    def draw_shares(self) -> np.ndarray:
        """(K,) probability that an episode draw lands on each entry (repeats count apart)."""
        w = np.ones(len(self.episodes)) if self.weights is None else self.weights
        return w / w.sum()

    def summary(self, shares: np.ndarray | None = None) -> dict[str, Any]:
        """What a batch drawn from the view holds: the distinct episodes and their steps, their
        returns, the mean return of a drawn episode, and the share of draws whose return is at or
        above the middle of the whole dataset's return range (the view's "good half").
        ``shares`` (one per entry, summing to 1) replaces the view's own ``draw_shares()``, e.g.
        with importance weights folded in."""
        r_all = self.dataset.returns
        mid = 0.5 * (float(r_all.min()) + float(r_all.max()))
        p = self.draw_shares() if shares is None else np.asarray(shares, dtype=np.float64)
        distinct = np.unique(self.episodes[p > 0])
        r = self.dataset.returns[distinct]
        return {"view": self.description,
                "episodes (distinct)": len(distinct),
                "steps (distinct)": int(self.dataset.lengths[distinct].sum()),
                "return min": float(r.min()), "return max": float(r.max()),
                "mean return of a draw": float(p @ self.returns),
                "draws with return >= mid-range": float(p[self.returns >= mid].sum())}


def as_view(data: EpisodeDataset | EpisodeView) -> EpisodeView:
    """A view of every episode of a dataset (a view passes through unchanged)."""
    if isinstance(data, EpisodeView):
        return data
    return EpisodeView(data, np.arange(data.num_episodes))


def _check_percent(name: str, value: float) -> None:
    if not 0.0 <= value <= 100.0:
        raise CuratedRLError(f"{name} must lie in [0, 100], got {value}")


def top_fraction(ds: EpisodeDataset, fraction: float) -> EpisodeView:
    """Episodes whose return is at or above the ``100 * (1 - fraction)`` percentile of returns.

    Ties at the cut-off are all kept, so the view can hold slightly more than ``fraction``.
    """
    if not 0.0 < fraction <= 1.0:
        raise CuratedRLError(f"top fraction must lie in (0, 1], got {fraction}")
    cut = np.percentile(ds.returns, 100.0 * (1.0 - fraction))
    return EpisodeView(ds, np.flatnonzero(ds.returns >= cut), description=f"top{fraction:g}")


def percentile_strata(ds: EpisodeDataset,
                      percentiles: Sequence[float] = PAPER_PERCENTILES) -> EpisodeView:
    """The paper's curation: for each percentile p, the episodes with return >= the p-th percentile,
    concatenated with repetition. With (90, 95, 98): top-10% ∪ top-5% ∪ top-2%, so a top-2% episode
    appears three times, a top-5% one twice.
    """
    for p in percentiles:
        _check_percent("percentile", p)
    parts = [np.flatnonzero(ds.returns >= np.percentile(ds.returns, p)) for p in percentiles]
    label = "strata" + "/".join(f"{p:g}" for p in percentiles)
    return EpisodeView(ds, np.concatenate(parts), description=label)


def min_return(ds: EpisodeDataset, threshold: float) -> EpisodeView:
    """Episodes whose return is at least ``threshold``."""
    return EpisodeView(ds, np.flatnonzero(ds.returns >= threshold),
                       description=f"return>={threshold:g}")


def quality_weights(ds: EpisodeDataset) -> EpisodeView:
    """All episodes, weighted by return min-max normalised over the dataset (uniform if all equal).

    The worst episode gets weight 0: it is never sampled.
    """
    r = ds.returns
    span = r.max() - r.min()
    w = (r - r.min()) / span if span > 0 else np.ones_like(r)
    return EpisodeView(ds, np.arange(ds.num_episodes), weights=w, description="quality")
