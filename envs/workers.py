"""Evaluation on worker processes that each hold the policy next to their own envs.

Per-step traffic between processes, not physics, is what limits Gymnasium's async vector env
(see docs/performance.md). Here each worker receives the policy once per call (pickled), runs a
contiguous block of episodes with ``run_episodes`` on its own sync vector env, and sends back
only per-episode returns and lengths. Episode ``i`` is still reset with seed ``seed + i``, so the
results equal ``run_episodes`` and a one-env loop over the same seeds.

The pool is started once (``spawn``: no forked torch/OpenMP state) and reused across calls, as a
training run's periodic evaluations would; each worker runs torch with one thread.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from curatedrl.envs.factory import raw_env_steps_per_s
from curatedrl.envs.rollout import Episodes, Policy, run_episodes


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def _run_block(env_id: str, env_kwargs: dict[str, Any] | None, policy_bytes: bytes,
               episodes: int, seed: int, num_envs: int) -> tuple[np.ndarray, np.ndarray]:
    policy = pickle.loads(policy_bytes)
    res = run_episodes(env_id, policy, episodes, seed, env_kwargs=env_kwargs, num_envs=num_envs)
    return res.returns, res.lengths


def _raw_block(env_id: str, steps: int, seed: int) -> tuple[int, float]:
    rate = raw_env_steps_per_s(env_id, steps, seed)
    return steps, steps / rate


def split(episodes: int, parts: int) -> list[tuple[int, int]]:
    """Contiguous (first episode, count) blocks, as even as possible, empty ones dropped."""
    base, extra = divmod(episodes, parts)
    blocks, first = [], 0
    for w in range(parts):
        count = base + (w < extra)
        if count:
            blocks.append((first, count))
        first += count
    return blocks


class WorkerEvaluator:
    """A persistent pool of ``workers`` processes running episodes of a picklable policy.

    Args:
        env_id, env_kwargs: the Gymnasium env.
        workers: processes (default: the CPU cores this process may use).
        num_envs: sync sub-envs per worker.
    """

    def __init__(self, env_id: str, env_kwargs: dict[str, Any] | None = None,
                 workers: int | None = None, num_envs: int = 8):
        self.env_id, self.env_kwargs, self.num_envs = env_id, env_kwargs, num_envs
        self.workers = workers or len(os.sched_getaffinity(0))
        self.pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                        initializer=_init_worker)

    def run(self, policy: Policy, episodes: int, seed: int) -> Episodes:
        """``episodes`` episodes (episode ``i`` reset with seed ``seed + i``), results in order."""
        data = pickle.dumps(policy)
        futures = [self.pool.submit(_run_block, self.env_id, self.env_kwargs, data, count,
                                    seed + first, min(self.num_envs, count))
                   for first, count in split(episodes, self.workers)]
        parts = [f.result() for f in futures]
        return Episodes(np.concatenate([p[0] for p in parts]),
                        np.concatenate([p[1] for p in parts]))

    def raw_steps_per_s(self, steps: int) -> float:
        """Random-action env stepping on every worker at once (the limit on these cores)."""
        futures = [self.pool.submit(_raw_block, self.env_id, steps, w)
                   for w in range(self.workers)]
        done = [f.result() for f in futures]
        return sum(d[0] for d in done) / max(d[1] for d in done)

    def warm_up(self) -> None:
        """Start every worker and import its modules (done once; not part of any timing)."""
        for f in [self.pool.submit(_raw_block, self.env_id, 10, w) for w in range(self.workers)]:
            f.result()

    def close(self) -> None:
        self.pool.shutdown()

    def __enter__(self) -> WorkerEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
