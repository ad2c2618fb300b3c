"""iw-BC(Q): iw-BC on episodes sampled in proportion to their quality (return min-max normalised
over the dataset) instead of a hard filter."""

from __future__ import annotations

from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView, quality_weights


class IWBCQ(IWBC):
    config_cls = IWBCConfig

    def select(self, ds: EpisodeDataset) -> EpisodeView:
        return quality_weights(ds)
