"""Writing real Minari datasets from rollouts of a policy (tests make their own data this way)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from curatedrl.datasets.minari_io import write_minari
from curatedrl.envs.factory import env_fn
from curatedrl.envs.rollout import Policy, run_episodes
from curatedrl.provenance import git_commit


class UniformRandomPolicy:
    """Uniform random actions within the action bounds, from its own seeded generator."""

    def __init__(self, low: np.ndarray, high: np.ndarray, seed: int = 0):
        self.low, self.high = np.asarray(low), np.asarray(high)
        self.rng = np.random.default_rng(seed)

    @classmethod
    def for_env(cls, env_id: str, seed: int = 0, env_kwargs: dict | None = None
                ) -> UniformRandomPolicy:
        env = env_fn(env_id, env_kwargs)()
        space: gym.spaces.Box = env.action_space
        env.close()
        return cls(space.low, space.high, seed)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.rng.uniform(self.low, self.high, size=(len(obs), len(self.low)))


def generate_dataset(
    dataset_id: str,
    env_id: str,
    policy: Policy,
    episodes: int,
    seed: int = 0,
    *,
    env_kwargs: dict[str, Any] | None = None,
    ref_min_score: float | None = None,
    ref_max_score: float | None = None,
    algorithm_name: str = "curatedrl",
    description: str = "",
    num_envs: int = 8,
    extra_metadata: dict[str, Any] | None = None,
    progress: bool = False,
):
    """Roll out ``policy`` for ``episodes`` episodes and write a Minari dataset.

    Episode ``i`` starts from reset seed ``seed + i``. Returns the ``MinariDataset``.
    """
    res = run_episodes(env_id, policy, episodes, seed, env_kwargs=env_kwargs, num_envs=num_envs,
                       record=True, progress=progress)
    meta = {"seed": seed, "code_commit": git_commit(), **(extra_metadata or {})}
    return write_minari(dataset_id, res.steps, env_id, env_kwargs=env_kwargs,
                        ref_min_score=ref_min_score, ref_max_score=ref_max_score,
                        algorithm_name=algorithm_name, description=description,
                        extra_metadata=meta)
