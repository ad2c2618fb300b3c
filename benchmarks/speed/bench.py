"""`make bench` (`curatedrl bench`): speed figures, each printed as one line with the machine,
the device and the variants compared side by side in the same run (docs/performance.md).

Figures:
- iwbc: iw-BC steps/s at 256 whole episodes, packed vs padded-and-masked (bench_training.py);
- seeds: bc and the five baselines, steps/s at batch 256, one seed vs 3 stacked seeds
  (bench_training.py);
- step: one gradient step of each baseline at its config's batch, steps/s (bench_training.py);
- eval: evaluation env-steps/s with the policy in the loop vs a one-env loop vs raw stepping
  (bench_eval.py);
- generation: dataset-generation steps/s (shipped policy in the loop, vectorised, recorded)
  next to raw env stepping with random actions on the same machine, and their ratio;
- load: seconds to load a 1M-step dataset (Minari HDF5) into device tensors;
- sampled: the paper-sampled schedule's cost: iw-BC's exact whole-episode weight pass beside a
  k-step gradient, one iw-BC cell, the paper suite's estimated wall time (bench_sampled.py).
- sweep: wall time of one 3-seed sweep cell, stacked in one process vs one process per seed
  (bench_sweep.py).

``--quick`` runs every figure at a tiny size (for the end-to-end test), not for reporting.
"""

from __future__ import annotations

import platform
import time

import numpy as np
import torch

from curatedrl.constants import DEFAULT_DATASET
from curatedrl.datasets.behaviour import BehaviourPolicy
from curatedrl.datasets.suite import ENVS, choose_policies
from curatedrl.envs.factory import raw_env_steps_per_s
from curatedrl.envs.rollout import run_episodes
from curatedrl.errors import CuratedRLError


def machine() -> str:
    import os

    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.machine()} {len(os.sched_getaffinity(0))} cores, torch "
            f"{torch.get_num_threads()} threads, {dev}")


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


FIGURES = ("iwbc", "seeds", "step", "eval", "generation", "load", "sampled", "sweep")


def bench_device(device: str | None) -> str:
    """The training figures' device: ``device``, else cuda where available, else cpu."""
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CuratedRLError(f"--device {device}: this machine has no CUDA device (torch "
                             f"{torch.__version__}); use --device cpu")
    return device


def _figure(name: str, quick: bool, dataset: str, device: str) -> list[str]:
    from curatedrl.datasets import load

    if name == "generation":  # a 64-64 tanh policy and a 256-256 relu one
        return [bench_generation(env, steps=2_000 if quick else 20_000)
                for env in ("hopper", "halfcheetah")]
    if name == "load":
        return [bench_load(steps=20_000 if quick else 1_000_000)]
    ds = load(dataset)
    if name == "iwbc":
        from curatedrl.benchmarks.speed.bench_training import bench_iwbc

        kw = dict(batch=16, repeats=1, min_calls=1) if quick else {}
        return bench_iwbc(ds, machine(), device=device, **kw)
    if name == "sampled":
        from curatedrl.benchmarks.speed.bench_sampled import sampled_figure

        return sampled_figure(ds, machine(), quick)
    if name == "seeds":
        from curatedrl.benchmarks.speed.bench_training import bench_seeds

        kw = dict(batch=32, seeds=2, window=0.05, repeats=1) if quick else {}
        return bench_seeds(ds, machine(), device=device, **kw)
    if name == "sweep":
        from curatedrl.benchmarks.speed.bench_sweep import bench_sweep_seeds

        kw = dict(seeds=2, steps=4, final_eval_episodes=1) if quick else {}
        return bench_sweep_seeds(dataset, machine(), **kw)
    if name == "step":
        from curatedrl.benchmarks.speed.bench_training import bench_step

        kw = dict(batch=32, window=0.05, repeats=1) if quick else {}
        return bench_step(ds, machine(), device=device, **kw)
    from curatedrl.benchmarks.speed.bench_eval import bench_eval

    kw = dict(episodes=2, fit_steps=2, raw_steps=500, repeats=1) if quick else {}
    return bench_eval(ds, machine(), **kw)


def run_bench(only: list[str] | None = None, threads: int = 1, quick: bool = False,
              dataset: str = DEFAULT_DATASET, device: str | None = None) -> list[str]:
    """Print (and return) the figures' lines. ``threads``: torch intra-op threads; ``device``:
    of the training figures (iwbc, seeds, step)."""
    device = bench_device(device)
    torch.set_num_threads(threads)
    if not quick and dataset == DEFAULT_DATASET and (not only or set(only) - {"generation",
                                                                              "load"}):
        from curatedrl.datasets.on_demand import ensure_default_dataset

        ensure_default_dataset(dataset)
    lines = []
    for name in FIGURES:
        if only and name not in only:
            continue
        for line in _figure(name, quick, dataset, device):
            print(line, flush=True)
            lines.append(line)
    return lines
