"""IQL: its reward scale and cosine actor learning rate, its deterministic actor, and its value
regressing to the expectile of Q."""

import math

import numpy as np
import pytest
import torch

from curatedrl.algos.iql import IQL, IQLConfig
from curatedrl.algos.losses import expectile_loss
from tests.baseline_agents import dataset, flat, make, sampler


def test_iql_reward_scale_and_cosine_actor_lr():
    ds = dataset()  # returns 0 … 50
    agent = make(IQL, IQLConfig, ds, steps=4)
    assert agent.reward_scale == pytest.approx(1000.0 / 50.0)
    assert make(IQL, IQLConfig, ds, normalize_reward=False).reward_scale == 1.0
    batch = sampler(ds)
    lrs = [agent.update(batch())["actor_lr"] for _ in range(4)]
    expected = [3e-4 * 0.5 * (1 + math.cos(math.pi * k / 4)) for k in range(4)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)


def test_iql_deterministic_actor_trains():
    agent = make(IQL, IQLConfig, deterministic_actor=True)
    before = flat(agent.actor)
    m = agent.update(sampler(dataset())())
    assert np.isfinite(m["actor_loss"]) and not torch.equal(before, flat(agent.actor))


def test_iql_value_regresses_to_the_expectile_of_q():
    """With Q fixed, V(s) of one state converges to the τ-expectile of the target-Q values."""
    agent = make(IQL, IQLConfig, expectile=0.9, value_lr=1e-2)
    q_values = torch.tensor([0.0, 1.0, 2.0, 10.0])
    v = torch.zeros((), requires_grad=True)
    opt = torch.optim.Adam([v], lr=0.05)
    for _ in range(3000):
        opt.zero_grad()
        expectile_loss(q_values - v, agent.cfg.expectile).backward()
        opt.step()
    # the 0.9-expectile m solves 0.9 Σ_{q>m} (q − m) = 0.1 Σ_{q<m} (m − q)
    m = v.item()
    lhs = 0.9 * (q_values[q_values > m] - m).sum()
    rhs = 0.1 * (m - q_values[q_values < m]).sum()
    assert lhs.item() == pytest.approx(rhs.item(), abs=1e-3)
    assert m > q_values.mean().item()
