"""`make bench` (`curatedrl bench`): speed figures, each printed as one line with the machine.

Figures so far:
- generation: dataset-generation steps/s (shipped policy in the loop, vectorised, recorded)
  next to raw env stepping with random actions on the same machine, and their ratio;
- load: seconds to load a 1M-step dataset (Minari HDF5) into device tensors.
"""

from __future__ import annotations

import platform
import time

import numpy as np
import torch

from curatedrl.datasets.behaviour import BehaviourPolicy
from curatedrl.datasets.suite import ENVS, choose_policies
from curatedrl.envs.factory import env_fn
from curatedrl.envs.rollout import run_episodes


def machine() -> str:
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.machine()} {torch.get_num_threads()} threads, {dev}"


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


def generation_steps_per_s(env_key: str, steps: int = 20_000) -> float:
    """The suite's generator: the expert checkpoint (stochastic) on 16 sync sub-envs, recorded."""
    choice = choose_policies(env_key)
    policy = BehaviourPolicy(choice.expert, stochastic=True)
    start = time.perf_counter()
    res = run_episodes(ENVS[env_key], policy, None, 0, max_steps=steps, num_envs=16, record=True)
    return int(res.lengths.sum()) / (time.perf_counter() - start)


def bench_generation(env_key: str = "hopper", steps: int = 20_000) -> str:
    raw = raw_env_steps_per_s(ENVS[env_key], steps)
    gen = generation_steps_per_s(env_key, steps)
    return (f"generation  {ENVS[env_key]}: {gen:,.0f} steps/s recorded with the policy in the "
            f"loop vs raw env {raw:,.0f} steps/s ({100 * gen / raw:.0f}%)  [{machine()}]")


def bench_load(steps: int = 1_000_000) -> str:
    """Write a 1M-step Minari dataset of random data once, then time load + device copy."""
    import tempfile

    from curatedrl.datasets import load, to_device
    from curatedrl.datasets.minari_io import write_minari

    rng = np.random.default_rng(0)
    n_ep, length = steps // 1000, 1000
    episodes = []
    for _ in range(n_ep):
        obs = rng.normal(size=(length + 1, 11)).astype(np.float32)
        term = np.zeros(length, bool)
        trunc = np.zeros(length, bool)
        trunc[-1] = True
        episodes.append({"observations": obs[:-1], "next_observations": obs[1:],
                         "actions": rng.uniform(-1, 1, (length, 3)).astype(np.float32),
                         "rewards": rng.normal(size=length).astype(np.float32),
                         "terminations": term, "truncations": trunc})
    import os

    old = os.environ.get("MINARI_DATASETS_PATH")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MINARI_DATASETS_PATH"] = tmp
        try:
            write_minari("bench/load-v0", episodes, "Hopper-v5")
            start = time.perf_counter()
            buf = to_device(load("bench/load-v0"), "cuda" if torch.cuda.is_available() else "cpu")
            elapsed = time.perf_counter() - start
        finally:
            if old is None:
                os.environ.pop("MINARI_DATASETS_PATH")
            else:
                os.environ["MINARI_DATASETS_PATH"] = old
    return (f"load        {steps:,}-step Minari dataset ({n_ep} episodes) into {buf.device} "
            f"tensors: {elapsed:.2f} s  [{machine()}]")


FIGURES = {"generation": bench_generation, "load": bench_load}


def run_bench(only: list[str] | None = None) -> list[str]:
    lines = []
    for name, fn in FIGURES.items():
        if only and name not in only:
            continue
        line = fn()
        print(line, flush=True)
        lines.append(line)
    return lines
