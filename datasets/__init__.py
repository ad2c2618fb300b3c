"""Data layer: loading (Minari, D4RL-format), episode filters, device buffers, generation."""

from curatedrl.datasets.episodes import DatasetMetadata, EpisodeDataset, from_episodes
from curatedrl.datasets.filters import (
    EpisodeView,
    as_view,
    min_return,
    percentile_strata,
    quality_weights,
    top_fraction,
)
from curatedrl.datasets.buffer import (
    DeviceBuffer,
    EpisodeBatch,
    TransitionBatch,
    make_generator,
    pad_segments,
    segment_sum,
    to_device,
)
from curatedrl.datasets.loader import load
from curatedrl.datasets.minari_io import local_dataset_ids, write_minari
