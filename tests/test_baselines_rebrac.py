"""ReBRAC: transition batches carry the dataset's next action, the critic target includes the
BC penalty on it, and the actor loss includes the BC term."""

import copy

import numpy as np
import pytest
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.rebrac import ReBRAC, ReBRACConfig
from curatedrl.datasets import make_generator, to_device
from tests.baseline_agents import dataset, make, sampler


def test_transition_batches_carry_the_following_dataset_action():
    ds = dataset()
    batch = to_device(ds).sample_transitions(500, make_generator(0))
    rows = [int(np.flatnonzero((ds.observations == o).all(1))[0])
            for o in batch.observations.numpy()]
    last = set((ds.offsets[1:] - 1).tolist())
    for k, i in enumerate(rows):
        if i in last:
            assert batch.has_next_action[k] == 0 and not batch.next_actions[k].any()
        else:
            assert batch.has_next_action[k] == 1
            np.testing.assert_array_equal(batch.next_actions[k].numpy(), ds.actions[i + 1])
    assert 0 < batch.has_next_action.mean() < 1


def test_rebrac_critic_target_includes_the_bc_penalty():
    ds = dataset()
    agent = make(ReBRAC, ReBRACConfig, ds, beta_critic=0.0)
    other = copy.deepcopy(agent)
    other.cfg = config_from_dict(ReBRACConfig, {"batch_size": 8, "beta_critic": 2.0})
    batch = sampler(ds)(64)
    next_obs = agent.normalizer(batch.next_observations)
    gen_state = agent.generator.get_state()
    with torch.no_grad():
        y0, pen0 = agent.critic_target_values(batch, next_obs)
        y2, pen2 = other.critic_target_values(batch, next_obs)
    torch.testing.assert_close(pen0, pen2)  # same generator state: same noisy target action
    assert (pen2 > 0).any()
    torch.testing.assert_close(y2, y0 - 0.99 * (1 - batch.terminations) * 2.0 * pen2)
    # the penalty is ‖ã' − a_next‖², a_next the dataset's next action (0 after an episode's end)
    gen = make_generator(0)
    gen.set_state(gen_state)
    noise = (torch.randn(batch.actions.shape, generator=gen) * 0.2).clamp(-0.5, 0.5)
    with torch.no_grad():
        next_act = (agent.actor_target(next_obs) + noise).clamp(-1, 1)
    rows = [int(np.flatnonzero((ds.observations == o).all(1))[0])
            for o in batch.observations.numpy()]
    last = set((ds.offsets[1:] - 1).tolist())
    expected = torch.stack([
        ((next_act[k] - torch.as_tensor(ds.actions[i + 1])) ** 2).sum() if i not in last
        else torch.tensor(0.0) for k, i in enumerate(rows)])
    torch.testing.assert_close(pen0, expected)


def test_rebrac_actor_loss_includes_the_bc_term():
    ds = dataset()
    a = make(ReBRAC, ReBRACConfig, ds, beta_actor=0.0)
    b = make(ReBRAC, ReBRACConfig, ds, beta_actor=10.0)
    batch = sampler(ds)()
    ma, mb = a.update(batch), b.update(batch)  # step 0 updates the actor
    assert ma["critic_loss"] == mb["critic_loss"]
    assert mb["actor_loss"] - ma["actor_loss"] == pytest.approx(10.0 * ma["actor_bc"], rel=1e-4)
