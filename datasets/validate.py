"""Checks that every loaded dataset passes before anything trains on it."""

from __future__ import annotations

import numpy as np

from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError

_FINITE_KEYS = ("observations", "actions", "rewards", "next_observations")


def check_finite(ds: EpisodeDataset) -> None:
    """Refuse NaN or inf anywhere in observations, actions, rewards or next observations."""
    for key in _FINITE_KEYS:
        arr = getattr(ds, key)
        bad = ~np.isfinite(arr)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            episode = int(np.searchsorted(ds.offsets, row, side="right") - 1)
            raise CuratedRLError(
                f"dataset {ds.metadata.dataset_id!r}: {key} holds {int(bad.sum())} NaN/inf "
                f"value(s), first at step {row} (episode {episode}); clean or regenerate the data"
            )


def check_env_shapes(ds: EpisodeDataset, obs_dim: int, act_dim: int) -> None:
    """Refuse data whose observation or action size differs from the evaluation env's."""
    m = ds.metadata
    for what, data_dim, env_dim in (("observation", ds.observations.shape[1], obs_dim),
                                    ("action", ds.actions.shape[1], act_dim)):
        if data_dim != env_dim:
            raise CuratedRLError(
                f"dataset {m.dataset_id!r}: {what} size {data_dim} does not match the evaluation "
                f"env {m.eval_env_id} ({what} size {env_dim}); pick the env the data was "
                f"recorded in"
            )
