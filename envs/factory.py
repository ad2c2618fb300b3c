"""Evaluation environments built from an env spec (a dataset's metadata names one), and raw
env stepping speed (the physics limit that `make bench` compares against)."""

from __future__ import annotations

import os
import sys
import time
import warnings
from typing import Any, Callable, Protocol

import gymnasium as gym
import numpy as np


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


class EnvSpec(Protocol):
    """The evaluation env a dataset names (``datasets.DatasetMetadata`` has these fields, and
    may have ``max_episode_steps``: the episode step limit the dataset recorded)."""

    eval_env_id: str
    eval_env_kwargs: dict[str, Any]


def make_kwargs(meta: EnvSpec) -> dict[str, Any]:
    """``gymnasium.make``'s keyword arguments (beyond the id) for the env ``meta`` names: its
    kwargs, and ``max_episode_steps`` where the dataset recorded a step limit other than the
    env's registered one (a Minari dataset recorded with a 200-step limit is evaluated on
    200-step episodes, as Minari's ``recover_environment(eval_env=True)`` gives)."""
    kwargs = dict(meta.eval_env_kwargs or {})
    steps = getattr(meta, "max_episode_steps", None)
    if steps is not None and "max_episode_steps" not in kwargs:
        try:
            registered = gym.spec(meta.eval_env_id).max_episode_steps
        except gym.error.Error:
            registered = None
        if int(steps) != registered:
            kwargs["max_episode_steps"] = int(steps)
    return kwargs


def make_env(meta: EnvSpec) -> gym.Env:
    """The evaluation env a dataset's metadata names."""
    return env_fn(meta.eval_env_id, make_kwargs(meta))()


def env_dims(meta: EnvSpec) -> tuple[int, int]:
    """(observation size, action size) of the evaluation env ``meta`` names."""
    env = make_env(meta)
    try:
        return int(np.prod(env.observation_space.shape)), int(np.prod(env.action_space.shape))
    finally:
        env.close()


def raw_env_steps_per_s(env_id: str, steps: int = 20_000, seed: int = 0) -> float:
    """Single env, uniform random actions, no policy: the physics limit."""
    env = env_fn(env_id)()
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    low, high = env.action_space.low, env.action_space.high
    start = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(rng.uniform(low, high).astype(np.float32))
        if term or trunc:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed
