"""SFT(Q): filtered BC that samples every episode with probability proportional to its quality
(return min-max normalised over the dataset) instead of keeping a hard-filtered subset."""

from __future__ import annotations

from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView, quality_weights


class SFTQ(FilteredBC):
    config_cls = FilteredBCConfig

    def select(self, ds: EpisodeDataset) -> EpisodeView:
        return quality_weights(ds)
