"""Vectorised evaluation against a one-env loop, and the normalised score."""

import gymnasium as gym
import numpy as np
import pytest

from curatedrl.datasets import DatasetMetadata
from curatedrl.envs import evaluate, normalized_score

W = np.random.default_rng(0).normal(size=(11, 3))


def policy(obs):
    """Deterministic, acting on each row independently."""
    return np.tanh(obs @ W)


def sequential_returns(env_id, episodes, seed):
    env = gym.make(env_id)
    returns, lengths = [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        total, steps, done = 0.0, 0, False
        while not done:
            act = np.clip(policy(obs[None].astype(np.float32))[0], -1, 1).astype(np.float32)
            obs, r, term, trunc, _ = env.step(act)
            total, steps, done = total + r, steps + 1, term or trunc
        returns.append(total)
        lengths.append(steps)
    env.close()
    return np.array(returns), np.array(lengths)


META = DatasetMetadata("x/hopper-v0", "test", "Hopper-v5", {}, 11, 3, [-1.0] * 3, [1.0] * 3,
                       ref_min_score=-20.0, ref_max_score=3000.0)


@pytest.mark.parametrize("num_envs,mode", [(4, "sync"), (1, "sync"), (3, "async")])
def test_vectorised_equals_sequential(num_envs, mode):
    ref_returns, ref_lengths = sequential_returns("Hopper-v5", 9, seed=42)
    res = evaluate(policy, META, episodes=9, seed=42, num_envs=num_envs, mode=mode)
    np.testing.assert_array_equal(res.lengths, ref_lengths)
    np.testing.assert_array_equal(res.returns, ref_returns)
    np.testing.assert_allclose(res.normalized, 100 * (ref_returns + 20) / 3020)
    assert len(set(res.returns.tolist())) > 1  # distinct seeds, distinct episodes


def test_normalized_score():
    np.testing.assert_allclose(normalized_score([10.0, 0.0, 20.0], 0.0, 10.0), [100, 0, 200])
    np.testing.assert_allclose(normalized_score(-20.272305, -20.272305, 3234.3), 0.0)
    assert np.isnan(normalized_score([1.0], None, 3.0)).all()
