"""Test settings: private Minari store, W&B off, one torch thread, small generated datasets;
the repository root and the bad-input workspace the tests share."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

_STORE = tempfile.mkdtemp(prefix="curatedrl-minari-")
atexit.register(shutil.rmtree, _STORE, ignore_errors=True)  # the store dies with the session
os.environ["MINARI_DATASETS_PATH"] = _STORE
os.environ["WANDB_MODE"] = "disabled"
os.environ["CURATEDRL_CACHE"] = os.path.join(_STORE, "cache")
os.environ.setdefault("MUJOCO_LOG_DIR", _STORE)
REPO = Path(__file__).resolve().parents[1]  # the repository root

import torch  # noqa: E402

torch.set_num_threads(1)

from curatedrl.datasets import DatasetMetadata, EpisodeDataset, from_episodes  # noqa: E402


def hand_dataset(returns, lengths=None, obs_dim=3, act_dim=2, seed=0) -> EpisodeDataset:
    """A dataset whose episode ``i`` has length ``lengths[i]`` and return ``returns[i]``
    (the reward is spread evenly over the episode's steps)."""
    rng = np.random.default_rng(seed)
    lengths = lengths if lengths is not None else [3] * len(returns)
    episodes = []
    for r, n in zip(returns, lengths):
        obs = rng.normal(size=(n + 1, obs_dim)).astype(np.float32)
        term = np.zeros(n, bool)
        term[-1] = True
        episodes.append({
            "observations": obs[:-1], "next_observations": obs[1:],
            "actions": rng.uniform(-1, 1, size=(n, act_dim)).astype(np.float32),
            "rewards": np.full(n, r / n, np.float32),
            "terminations": term, "truncations": np.zeros(n, bool),
        })
    meta = DatasetMetadata("hand/example-v0", "test", "Hopper-v5", {}, obs_dim, act_dim,
                           [-1.0] * act_dim, [1.0] * act_dim, 0.0, 100.0)
    return from_episodes(episodes, meta)


@pytest.fixture(scope="session")
def minari_store() -> str:
    return _STORE


@pytest.fixture(scope="session")
def hopper_random_id() -> str:
    """A small real Minari dataset: 40 uniform-random Hopper-v5 episodes."""
    from curatedrl.datasets.generate import UniformRandomPolicy, generate_dataset

    dataset_id = "test/hopper/random-v0"
    generate_dataset(dataset_id, "Hopper-v5", UniformRandomPolicy.for_env("Hopper-v5", seed=1),
                     40, seed=100, ref_min_score=-20.0, ref_max_score=3000.0)
    return dataset_id


@pytest.fixture(scope="session")
def ws(tmp_path_factory, hopper_random_id) -> dict[str, str]:
    """The workspace bad input runs in (tests/bad_input_workspace.py: a finished run, an
    interrupted run, broken data files, a broken Minari store), built once for the session."""
    from tests.bad_input_workspace import build_workspace

    return build_workspace(tmp_path_factory.mktemp("workspace"), hopper_random_id)
