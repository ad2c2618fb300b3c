"""Vectorised episode runner shared by evaluation and dataset generation.

Episode ``i`` is reset with seed ``seed + i`` whichever sub-env runs it, so results match a
one-env loop over the same seeds exactly (for a policy that acts on each row independently).
Sub-envs whose episode has finished are reset onto the next episode; once none is left they idle
and their steps are ignored (masked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from tqdm.auto import tqdm

from curatedrl.envs.factory import env_fn

Policy = Callable[[np.ndarray], np.ndarray]
"""Maps a (n, obs_dim) float32 batch of observations to (n, act_dim) actions."""


@dataclass
class Episodes:
    """Per-episode results in episode order; ``steps`` holds recorded transitions if asked for."""

    returns: np.ndarray
    lengths: np.ndarray
    steps: list[dict[str, np.ndarray]] = field(default_factory=list)


def _vector_env(env_id: str, env_kwargs: dict[str, Any] | None, num_envs: int, mode: str
                ) -> gym.vector.VectorEnv:
    fns = [env_fn(env_id, env_kwargs)] * num_envs
    if mode == "async":
        return gym.vector.AsyncVectorEnv(fns, autoreset_mode=AutoresetMode.DISABLED)
    if mode == "sync":
        return gym.vector.SyncVectorEnv(fns, autoreset_mode=AutoresetMode.DISABLED)
    raise ValueError(f"vectorisation mode must be 'sync' or 'async', got {mode!r}")


def run_episodes(
    env_id: str,
    policy: Policy,
    episodes: int,
    seed: int,
    *,
    env_kwargs: dict[str, Any] | None = None,
    num_envs: int = 8,
    mode: str = "sync",
    record: bool = False,
    progress: bool = False,
) -> Episodes:
    """Run ``episodes`` episodes of ``policy`` on ``num_envs`` sub-envs.

    Args:
        env_id, env_kwargs: the Gymnasium env.
        policy: batch policy; actions are clipped to the action space.
        episodes: number of episodes; episode ``i`` uses reset seed ``seed + i``.
        num_envs: sub-envs stepped together (at most ``episodes``).
        mode: ``"sync"`` (one process) or ``"async"`` (one process per sub-env).
        record: keep every transition (for writing datasets).
        progress: show a progress bar over finished episodes.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    n = max(1, min(num_envs, episodes))
    env = _vector_env(env_id, env_kwargs, n, mode)
    low, high = env.single_action_space.low, env.single_action_space.high
    returns = np.zeros(episodes)
    lengths = np.zeros(episodes, dtype=np.int64)
    recorded: list[dict[str, np.ndarray] | None] = [None] * episodes
    slot = np.arange(n)  # episode each sub-env runs; -1 once idle
    traces: list[list] = [[] for _ in range(n)]
    next_episode = n
    bar = tqdm(total=episodes, desc="episodes", disable=not progress, leave=False)
    try:
        obs, _ = env.reset(seed=[seed + i for i in range(n)])
        done_count = 0
        while done_count < episodes:
            act = np.clip(np.asarray(policy(obs.astype(np.float32)), dtype=np.float32), low, high)
            nobs, rew, term, trunc, _ = env.step(act)
            active = slot >= 0
            returns[slot[active]] += rew[active]
            lengths[slot[active]] += 1
            if record:
                for i in np.flatnonzero(active):
                    traces[i].append((obs[i], act[i], rew[i], term[i], trunc[i], nobs[i]))
            done = term | trunc
            if done.any():
                seeds: list[int | None] = [None] * n
                for i in np.flatnonzero(done):
                    if slot[i] >= 0:
                        if record:
                            recorded[slot[i]] = _pack(traces[i])
                            traces[i] = []
                        done_count += 1
                        bar.update(1)
                    if next_episode < episodes:
                        slot[i] = next_episode
                        seeds[i] = seed + next_episode
                        next_episode += 1
                    else:
                        slot[i] = -1
                if done_count < episodes:
                    reset_obs, _ = env.reset(seed=seeds, options={"reset_mask": done})
                    nobs = np.where(done[:, None], reset_obs, nobs)
            obs = nobs
    finally:
        bar.close()
        env.close()
    return Episodes(returns, lengths, [r for r in recorded if r is not None] if record else [])


def _pack(trace: list) -> dict[str, np.ndarray]:
    obs, act, rew, term, trunc, nobs = zip(*trace)
    return {
        "observations": np.asarray(obs, dtype=np.float32),
        "actions": np.asarray(act, dtype=np.float32),
        "rewards": np.asarray(rew, dtype=np.float32),
        "terminations": np.asarray(term, dtype=bool),
        "truncations": np.asarray(trunc, dtype=bool),
        "next_observations": np.asarray(nobs, dtype=np.float32),
    }
