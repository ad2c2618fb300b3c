"""Evaluation-speed figure of ``curatedrl bench`` (``eval``): env-steps/s with the paper's actor
(3×256 MLP, deterministic tanh mean) in the loop, for

- a one-env, one-step-at-a-time loop (``one_env_loop``, the reference the tests compare with);
- the project's evaluator (``run_episodes``: one process, sync vector env, batched inference);
- the worker evaluator (``envs/workers.py``: one process per core, each with the policy and its
  own sync vector env, only episode returns sent back);
- raw env stepping with random actions, in one process and on every worker at once (the limit).

Each variant is timed ``repeats`` times and its best run is kept (the machine may be shared).
The actor is first fitted by a short transition-level BC run on the dataset, so that episodes
last long enough for the figure to measure stepping rather than resets.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from curatedrl.algos.bc import BC, BCConfig
from curatedrl.algos.networks import GaussianActor
from curatedrl.datasets import EpisodeDataset, make_generator, to_device
from curatedrl.envs.factory import env_fn, raw_env_steps_per_s
from curatedrl.envs.rollout import run_episodes
from curatedrl.envs.workers import WorkerEvaluator


class ActorPolicy:
    """A picklable batch policy: the actor's deterministic action under inference mode."""

    def __init__(self, actor: GaussianActor):
        self.actor = actor

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.actor.act(torch.as_tensor(obs, dtype=torch.float32)).numpy()


def one_env_loop(env_id: str, policy, episodes: int, seed: int, env_kwargs=None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(returns, lengths): one env, one step at a time, episode ``i`` reset with ``seed + i``."""
    env = env_fn(env_id, env_kwargs)()
    low, high = env.action_space.low, env.action_space.high
    returns, lengths = [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        total, steps, done = 0.0, 0, False
        while not done:
            act = np.clip(policy(obs[None].astype(np.float32))[0], low, high).astype(np.float32)
            obs, r, term, trunc, _ = env.step(act)
            total, steps, done = total + float(r), steps + 1, term or trunc
        returns.append(total)
        lengths.append(steps)
    env.close()
    return np.asarray(returns), np.asarray(lengths, dtype=np.int64)


def fitted_policy(ds: EpisodeDataset, steps: int, seed: int = 0) -> ActorPolicy:
    m = ds.metadata
    agent = BC(BCConfig(level="transition", batch_size=256, seed=seed), m.obs_dim, m.act_dim)
    buf, gen = to_device(ds), make_generator(seed)
    for _ in range(steps):
        agent.update(buf.sample_transitions(256, gen))
    return ActorPolicy(agent.actor.eval())


def _timed(fn, repeats: int = 1) -> tuple[float, object]:
    """(best wall time over ``repeats`` calls, the last call's result)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_eval(ds: EpisodeDataset, machine: str, episodes: int = 20, fit_steps: int = 300,
               workers: int = 2, num_envs: int = 10, raw_steps: int = 10_000,
               seed: int = 1_000_000, repeats: int = 2) -> list[str]:
    env_id, kw = ds.metadata.eval_env_id, ds.metadata.eval_env_kwargs
    policy = fitted_policy(ds, fit_steps)
    t_one, (ret_one, len_one) = _timed(lambda: one_env_loop(env_id, policy, episodes, seed, kw),
                                       repeats)
    t_sync, res = _timed(lambda: run_episodes(env_id, policy, episodes, seed, env_kwargs=kw,
                                              num_envs=num_envs), repeats)
    steps = int(len_one.sum())
    gap = float(np.max(np.abs(res.returns - ret_one) / np.maximum(np.abs(ret_one), 1.0)))
    same = np.array_equal(res.lengths, len_one)
    raw_one = max(raw_env_steps_per_s(env_id, raw_steps) for _ in range(repeats))
    with WorkerEvaluator(env_id, kw, workers=workers, num_envs=num_envs) as pool:
        pool.warm_up()
        t_workers, res_w = _timed(lambda: pool.run(policy, episodes, seed), repeats)
        raw_all = max(pool.raw_steps_per_s(raw_steps) for _ in range(repeats))
    gap = max(gap, float(np.max(np.abs(res_w.returns - ret_one)
                                / np.maximum(np.abs(ret_one), 1.0))))
    same = same and np.array_equal(res_w.lengths, len_one)
    one, sync, work = steps / t_one, steps / t_sync, steps / t_workers
    return [
        f"eval        {env_id}, 3x256 actor in the loop, {episodes} episodes ({steps:,} steps): "
        f"one-env loop {one:,.0f} steps/s; evaluator (1 process, {num_envs} sync envs) "
        f"{sync:,.0f} ({sync / one:.1f}x one-env, {100 * sync / raw_one:.0f}% of raw 1-process "
        f"{raw_one:,.0f}); workers ({workers} processes x {num_envs} envs) {work:,.0f} "
        f"({work / one:.1f}x one-env, {100 * work / raw_all:.0f}% of raw on {workers} processes "
        f"{raw_all:,.0f}); same lengths: {same}, returns within {gap:.0e} (relative) of the "
        f"one-env loop's [{machine}]"]
