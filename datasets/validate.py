"""Checks that every loaded dataset passes before anything trains on it."""

from __future__ import annotations

import numpy as np

from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.envs.factory import env_dims
from curatedrl.errors import CuratedRLError

_FINITE_KEYS = ("observations", "actions", "rewards", "next_observations")
# Largest magnitude accepted in observations and per-step rewards. MuJoCo locomotion data stays
# far below it (observations within tens, rewards within ~20 per step); values beyond it are
# corrupt data (1e30, 3e38), which would otherwise train silently on overflowing losses.
MAX_OBS = 1e6
MAX_REWARD = 1e6
# Actions are checked against the env's action space with this slack: D4RL's actions lie in
# [-1, 1] up to float rounding.
ACTION_TOL = 1e-4


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


def check_dataset_env(ds: EpisodeDataset) -> None:
    """Refuse a dataset whose observation or action size differs from its evaluation env's."""
    check_env_shapes(ds, *env_dims(ds.metadata))


def check_ranges(ds: EpisodeDataset) -> None:
    """Refuse actions outside the env's action space (``ACTION_TOL`` of slack), and observations
    or rewards whose magnitude exceeds ``MAX_OBS`` / ``MAX_REWARD``."""
    m = ds.metadata
    low = np.asarray(m.action_low, dtype=np.float64) - ACTION_TOL
    high = np.asarray(m.action_high, dtype=np.float64) + ACTION_TOL
    act = ds.actions.astype(np.float64)
    bad = (act < low) | (act > high)
    if bad.any():
        row, dim = (int(i) for i in np.argwhere(bad)[0])
        raise CuratedRLError(
            f"dataset {m.dataset_id!r}: {int(bad.any(axis=1).sum())} action(s) lie outside the "
            f"env's action space, first at step {row} (action {dim} = {act[row, dim]:g}, "
            f"bounds [{m.action_low[dim]:g}, {m.action_high[dim]:g}]); the data was not "
            f"recorded in this env, or is corrupt")
    for key, limit in (("observations", MAX_OBS), ("next_observations", MAX_OBS),
                       ("rewards", MAX_REWARD)):
        arr = np.abs(getattr(ds, key))
        bad = arr > limit
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise CuratedRLError(
                f"dataset {m.dataset_id!r}: {key} holds {int(bad.sum())} value(s) beyond "
                f"±{limit:g} (largest {float(arr.max()):g}), first at step {row}; the data is "
                f"corrupt: clean or regenerate it")
