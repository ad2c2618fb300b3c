"""Vectorised episode runner shared by evaluation and dataset generation.

Episode ``i`` is reset with seed ``seed + i`` whichever sub-env runs it, so results match a
one-env loop over the same seeds exactly (for a policy that acts on each row independently).
Sub-envs whose episode has finished are reset onto the next episode; once none is left they idle.
In ``sync`` mode the sub-envs are stepped in this process by ``SyncEnvs``, which steps only the
sub-envs still running an episode (idle ones cost nothing, where a Gymnasium vector env would keep
stepping them) and skips the vector env's per-step info merging; ``async`` mode uses Gymnasium's
``AsyncVectorEnv`` and masks idle sub-envs' steps.
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


class SyncEnvs:
    """Sub-envs in this process with the slice of the vector-env interface ``run_episodes`` uses;
    ``step`` takes the mask of sub-envs to step (the others keep their observation, reward 0)."""

    def __init__(self, fns: list[Callable[[], gym.Env]]):
        self.envs = [fn() for fn in fns]
        self.single_action_space = self.envs[0].action_space

    def reset(self, seed: list[int | None], options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict]:
        mask = options["reset_mask"] if options else np.ones(len(self.envs), bool)
        obs = [env.reset(seed=s)[0] if m else None
               for env, s, m in zip(self.envs, seed, mask)]
        like = next(o for o in obs if o is not None)
        return np.stack([o if o is not None else np.zeros_like(like) for o in obs]), {}

    def step(self, actions: np.ndarray, which: np.ndarray, obs: np.ndarray):
        nobs = obs.copy()
        n = len(self.envs)
        rew, term, trunc = np.zeros(n), np.zeros(n, bool), np.zeros(n, bool)
        for i in np.flatnonzero(which):
            nobs[i], rew[i], term[i], trunc[i], _ = self.envs[i].step(actions[i])
        return nobs, rew, term, trunc, {}

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _vector_env(env_id: str, env_kwargs: dict[str, Any] | None, num_envs: int, mode: str):
    fns = [env_fn(env_id, env_kwargs)] * num_envs
    if mode == "async":
        return gym.vector.AsyncVectorEnv(fns, autoreset_mode=AutoresetMode.DISABLED)
    if mode == "sync":
        return SyncEnvs(fns)
    raise ValueError(f"vectorisation mode must be 'sync' or 'async', got {mode!r}")


def run_episodes(
    env_id: str,
    policy: Policy,
    episodes: int | None,
    seed: int,
    *,
    max_steps: int | None = None,
    cut: bool = True,
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
        episodes: number of episodes; episode ``i`` uses reset seed ``seed + i``. None with
            ``max_steps``: as many as fit.
        max_steps: stop once this many steps are taken in all; episodes still running then are
            cut and their last step marked truncated (as D4RL's fixed-size datasets are).
        cut: with ``max_steps``, False lets the running episodes finish instead (no new ones
            start), so the total can exceed ``max_steps`` by up to ``num_envs`` episodes.
        num_envs: sub-envs stepped together.
        mode: ``"sync"`` (one process) or ``"async"`` (one process per sub-env).
        record: keep every transition (for writing datasets).
        progress: show a progress bar (episodes, or steps with ``max_steps``).
    """
    if episodes is None and max_steps is None:
        raise ValueError("give episodes, max_steps or both")
    if (episodes is not None and episodes < 1) or (max_steps is not None and max_steps < 1):
        raise ValueError(f"episodes and max_steps must be >= 1, got {episodes}, {max_steps}")
    limit = episodes if episodes is not None else np.iinfo(np.int64).max
    n = max(1, min(num_envs, limit))
    env = _vector_env(env_id, env_kwargs, n, mode)
    low, high = env.single_action_space.low, env.single_action_space.high
    returns: list[float] = [0.0] * n
    lengths: list[int] = [0] * n
    recorded: dict[int, dict[str, np.ndarray]] = {}
    slot = np.arange(n)  # episode each sub-env runs; -1 once idle
    traces: list[list] = [[] for _ in range(n)]
    next_episode, total = n, 0
    bar = tqdm(total=max_steps or episodes, desc="steps" if max_steps else "episodes",
               disable=not progress, leave=False)

    def finish(i: int) -> None:
        if record:
            recorded[int(slot[i])] = _pack(traces[i])
            traces[i] = []

    try:
        obs, _ = env.reset(seed=[seed + i for i in range(n)])
        while np.any(slot >= 0):
            act = np.clip(np.asarray(policy(obs.astype(np.float32)), dtype=np.float32), low, high)
            running = slot >= 0
            if isinstance(env, SyncEnvs):
                nobs, rew, term, trunc, _ = env.step(act, running, obs)
            else:
                nobs, rew, term, trunc, _ = env.step(act)
            active = np.flatnonzero(running)
            for i in active:
                returns[slot[i]] += float(rew[i])
                lengths[slot[i]] += 1
                if record:
                    traces[i].append((obs[i], act[i], rew[i], term[i], trunc[i], nobs[i]))
            total += len(active)
            bar.update(len(active) if max_steps else 0)
            if max_steps is not None and total >= max_steps and not cut:
                limit = min(limit, next_episode)  # start no more episodes
            elif max_steps is not None and total >= max_steps:
                for i in active:  # cut the running episodes here
                    if record and not (term[i] or trunc[i]):
                        obs_i, act_i, rew_i, term_i, _, nobs_i = traces[i][-1]
                        traces[i][-1] = (obs_i, act_i, rew_i, term_i, True, nobs_i)
                    finish(i)
                    slot[i] = -1
                break
            done = term | trunc
            if done.any():
                seeds: list[int | None] = [None] * n
                for i in np.flatnonzero(done):
                    if slot[i] >= 0:
                        finish(i)
                        bar.update(0 if max_steps else 1)
                    if next_episode < limit:
                        slot[i] = next_episode
                        seeds[i] = seed + next_episode
                        returns.append(0.0)
                        lengths.append(0)
                        next_episode += 1
                    else:
                        slot[i] = -1
                if np.any(slot >= 0):
                    reset_obs, _ = env.reset(seed=seeds, options={"reset_mask": done})
                    nobs = np.where(done[:, None], reset_obs, nobs)
            obs = nobs
    finally:
        bar.close()
        env.close()
    started = [k for k in range(next_episode) if lengths[k] > 0]
    return Episodes(np.asarray([returns[k] for k in started]),
                    np.asarray([lengths[k] for k in started], dtype=np.int64),
                    [recorded[k] for k in started] if record else [])


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
