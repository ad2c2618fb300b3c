"""Evaluation environments built from dataset metadata."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from curatedrl.datasets.episodes import DatasetMetadata, EpisodeDataset
from curatedrl.datasets.validate import check_env_shapes

# MuJoCo appends warnings to MUJOCO_LOG.TXT in the working directory; keep them out of the repo.
os.environ.setdefault("MUJOCO_LOG_DIR", os.path.join(os.path.expanduser("~"), ".cache"))

# MuJoCo 4 warns that HalfCheetah's XML uses the deprecated ``settotalmass`` at every make (100
# lines during `make datasets`); Gymnasium's asset, not ours. Drop exactly that message and pass
# every other warning on (to a handler installed before, else to stderr as MuJoCo prints it).
SETTOTALMASS = "compiler attribute 'settotalmass' is deprecated"


def _install_warning_filter() -> None:
    import mujoco

    previous = mujoco.get_mju_user_warning()
    if getattr(previous, "_curatedrl", False):
        return

    def handler(msg: str) -> None:
        if msg.startswith(SETTOTALMASS):
            return
        if previous is not None:
            previous(msg)
        else:
            print(f"WARNING: {msg}", file=sys.stderr)

    handler._curatedrl = True
    mujoco.set_mju_user_warning(handler)


_install_warning_filter()


def env_fn(env_id: str, env_kwargs: dict[str, Any] | None = None) -> Callable[[], gym.Env]:
    """A no-argument constructor of ``env_id`` (for vector envs and worker processes)."""
    kwargs = dict(env_kwargs or {})

    def make() -> gym.Env:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gym.make(env_id, **kwargs)

    return make


def make_env(meta: DatasetMetadata) -> gym.Env:
    """The evaluation env a dataset's metadata names."""
    return env_fn(meta.eval_env_id, meta.eval_env_kwargs)()


def check_dataset_env(ds: EpisodeDataset) -> None:
    """Refuse a dataset whose observation or action size differs from its evaluation env's."""
    env = make_env(ds.metadata)
    try:
        obs_dim = int(np.prod(env.observation_space.shape))
        act_dim = int(np.prod(env.action_space.shape))
    finally:
        env.close()
    check_env_shapes(ds, obs_dim, act_dim)
