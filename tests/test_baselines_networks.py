"""The baselines' networks: the tanh-Gaussian actor's log-probabilities against
torch.distributions, independent Q-ensemble members, target updates by exactly τ (TD3+BC's
delayed actor and targets included) and state normalisation fitted on the data."""

import numpy as np
import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

from curatedrl.algos.awac import AWAC, AWACConfig
from curatedrl.algos.networks import QEnsemble, StateNormalizer, TanhGaussianActor, soft_update
from curatedrl.algos.td3_bc import TD3BC, TD3BCConfig
from curatedrl.datasets import make_generator
from tests.baseline_agents import ACT, OBS, dataset, flat, make, sampler


def test_tanh_gaussian_log_prob_matches_torch_distributions():
    torch.manual_seed(0)
    actor = TanhGaussianActor(OBS, ACT, 16, 2)
    obs = torch.randn(64, OBS)
    act, log_prob = actor.sample(obs, make_generator(0))
    mean, log_std = actor.mean_log_std(obs)
    dist = TransformedDistribution(Normal(mean, log_std.exp()), TanhTransform())
    ref = dist.log_prob(act.clamp(-1 + 1e-6, 1 - 1e-6)).sum(-1)
    torch.testing.assert_close(log_prob, ref, rtol=1e-3, atol=1e-3)
    assert torch.all(act.abs() < 1)
    torch.testing.assert_close(actor.act(obs), torch.tanh(mean))


def test_q_ensemble_members_are_independent_and_take_leading_dims():
    torch.manual_seed(0)
    q = QEnsemble(OBS, ACT, 8, 2, n=2, layer_norm=True)
    obs, act = torch.randn(3, 5, OBS), torch.randn(3, 5, ACT)
    out = q(obs, act)
    assert out.shape == (2, 3, 5)
    assert not torch.allclose(out[0], out[1])
    torch.testing.assert_close(out[:, 1], q(obs[1], act[1]))


# --- target networks, normalisation -------------------------------------------------------------


def test_soft_update_moves_by_exactly_tau():
    torch.manual_seed(0)
    target, source = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = flat(target)
    soft_update(target, source, 0.005)
    torch.testing.assert_close(flat(target), before + 0.005 * (flat(source) - before))


def test_awac_target_critic_moves_by_tau_each_update():
    agent = make(AWAC, AWACConfig, tau=0.1)
    batch = sampler(dataset())
    for _ in range(2):
        before = flat(agent.critic_target)
        agent.update(batch())
        torch.testing.assert_close(flat(agent.critic_target),
                                   before + 0.1 * (flat(agent.critic) - before))


def test_td3_bc_delays_actor_and_targets():
    agent = make(TD3BC, TD3BCConfig, tau=0.05)
    batch = sampler(dataset())
    actor0, target0 = flat(agent.actor), flat(agent.critic_target)
    m1 = agent.update(batch())
    assert torch.equal(flat(agent.actor), actor0) and torch.equal(flat(agent.critic_target),
                                                                  target0)
    assert m1["actor_loss"] == 0.0  # no actor update yet; the key is there all the same
    m2 = agent.update(batch())
    assert not torch.equal(flat(agent.actor), actor0)
    torch.testing.assert_close(flat(agent.critic_target),
                               target0 + 0.05 * (flat(agent.critic) - target0))
    m3 = agent.update(batch())
    assert m3["actor_loss"] == m2["actor_loss"] != 0.0
    assert set(m1) == set(m2) == set(m3)


def test_state_normalisation_is_fitted_and_applied_at_evaluation():
    ds = dataset()
    agent = make(TD3BC, TD3BCConfig, ds)
    np.testing.assert_allclose(agent.normalizer.mean.numpy(), ds.observations.mean(0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(agent.normalizer.std.numpy(), ds.observations.std(0) + 1e-3,
                               rtol=1e-5)
    obs = torch.randn(6, OBS) * 5
    expected = agent.actor((obs - agent.normalizer.mean) / agent.normalizer.std)
    torch.testing.assert_close(agent.act_tensor(obs), expected.detach())
    assert "normalizer" in agent.state_dict()


def test_state_normalizer_identity_before_fit():
    x = torch.randn(3, OBS)
    torch.testing.assert_close(StateNormalizer(OBS)(x), x)
