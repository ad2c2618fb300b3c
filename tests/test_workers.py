"""The worker evaluator and the sync evaluator against a one-env loop, with the paper's actor."""

import numpy as np
import torch

from curatedrl.algos.networks import GaussianActor
from curatedrl.benchmarks.speed.bench_eval import ActorPolicy, one_env_loop
from curatedrl.envs.rollout import run_episodes
from curatedrl.envs.workers import WorkerEvaluator, split


def test_split_is_contiguous_and_covers_every_episode():
    assert split(7, 3) == [(0, 3), (3, 2), (5, 2)]
    assert split(2, 4) == [(0, 1), (1, 1)]


def test_fast_evaluators_return_the_one_env_loop_returns():
    torch.manual_seed(0)
    policy = ActorPolicy(GaussianActor(11, 3))
    ref_returns, ref_lengths = one_env_loop("Hopper-v5", policy, 5, seed=11)
    sync = run_episodes("Hopper-v5", policy, 5, 11, num_envs=3)
    with WorkerEvaluator("Hopper-v5", workers=2, num_envs=2) as pool:
        workers = pool.run(policy, 5, 11)
    for res in (sync, workers):
        np.testing.assert_array_equal(res.lengths, ref_lengths)
        # torch's matmul rounds the last bit differently at batch 1 and batch n (~3e-8)
        np.testing.assert_allclose(res.returns, ref_returns, rtol=1e-6)
    assert len(set(ref_returns.tolist())) > 1
