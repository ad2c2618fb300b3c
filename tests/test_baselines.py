"""Sharp tests of the offline-RL baselines: losses on hand examples, log-probabilities against
torch.distributions, target updates by exactly τ, transition batches' next actions, ReBRAC's
critic penalty, IQL's reward scale and actor schedule, refused configs."""

import copy
import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.awac import AWAC, AWACConfig
from curatedrl.algos.cql import CQLConfig, cql_penalty
from curatedrl.algos.iql import IQL, IQLConfig
from curatedrl.algos.losses import advantage_weights, expectile_loss
from curatedrl.algos.networks import QEnsemble, StateNormalizer, TanhGaussianActor, soft_update
from curatedrl.algos.rebrac import ReBRAC, ReBRACConfig
from curatedrl.algos.td3_bc import TD3BC, TD3BCConfig, td3_bc_actor_loss
from curatedrl.datasets import make_generator, to_device
from curatedrl.errors import CuratedRLError
from tests.conftest import hand_dataset

OBS, ACT = 4, 2
BASELINES = ["td3_bc", "iql", "cql", "awac", "rebrac"]


def dataset():
    return hand_dataset(list(np.linspace(0, 50, 20)), lengths=[2 + i % 4 for i in range(20)],
                        obs_dim=OBS, act_dim=ACT, seed=3)


def make(cls, cfg_cls, ds=None, **kw):
    cfg = config_from_dict(cfg_cls, {"batch_size": 8, "steps": 50, **kw})
    agent = cls(cfg, OBS, ACT)
    agent.prepare(ds if ds is not None else dataset())
    return agent


def sampler(ds, seed=0):
    buf = to_device(ds)
    gen = make_generator(seed)
    return lambda n=8: buf.sample_transitions(n, gen)


def flat(module):
    return torch.cat([p.detach().reshape(-1).clone() for p in module.parameters()])


# --- loss helpers on hand examples ---------------------------------------------------------------


def test_expectile_loss_hand_example():
    diff = torch.tensor([1.0, -2.0])
    # 0.7 · 1² and 0.3 · (−2)², averaged
    assert expectile_loss(diff, 0.7).item() == pytest.approx((0.7 + 0.3 * 4) / 2)
    assert expectile_loss(diff, 0.5).item() == pytest.approx(0.5 * (1 + 4) / 2)
    # the expectile above 0.5 penalises under-estimates (diff > 0) more
    assert expectile_loss(torch.tensor([1.0]), 0.9) > expectile_loss(torch.tensor([-1.0]), 0.9)


def test_td3_bc_actor_loss_hand_example_and_constant_lambda():
    q = torch.tensor([1.0, -3.0], requires_grad=True)
    pi = torch.tensor([[0.5, 0.0], [0.0, 0.0]])
    a = torch.zeros(2, 2)
    loss, lmbda = td3_bc_actor_loss(q, pi, a, alpha=2.5)
    # λ = 2.5 / mean|Q| = 2.5 / 2; −λ · mean Q = 1.25; MSE over all 4 entries = 0.25 / 4
    assert lmbda.item() == pytest.approx(1.25)
    assert loss.item() == pytest.approx(1.25 + 0.0625)
    loss.backward()
    torch.testing.assert_close(q.grad, torch.full((2,), -1.25 / 2))  # λ gets no gradient


def test_advantage_weights_are_clipped_at_100():
    adv = torch.tensor([-1.0, 0.0, 1.0, 10.0, 1e4])
    w = advantage_weights(adv, 3.0, 100.0)  # IQL, β = 3
    torch.testing.assert_close(w, torch.tensor([math.exp(-3), 1.0, math.exp(3), 100.0, 100.0]))
    w = advantage_weights(adv, 1.0 / (1.0 / 3.0), 100.0)  # AWAC, λ = 1/3
    assert w.max().item() == 100.0 and w[2].item() == pytest.approx(math.exp(3))


def test_cql_penalty_hand_example_and_signs():
    q_data = torch.tensor([[0.0]])
    q_sampled = torch.tensor([[[0.0, 0.0]]])
    zero = torch.zeros(1, 2)
    assert cql_penalty(q_data, q_sampled, zero).item() == pytest.approx(math.log(2.0))
    # the log-density of the proposal is subtracted: uniform on [−1, 1]^2 has log density −log 4
    uniform = torch.full((1, 2), -math.log(4.0))
    assert cql_penalty(q_data, q_sampled, uniform).item() == pytest.approx(math.log(8.0))
    # positive when sampled (out-of-distribution) actions look better than the data's ...
    assert cql_penalty(q_data, q_sampled + 5.0, zero).item() > 0
    # ... negative when the dataset action dominates
    assert cql_penalty(q_data + 10.0, q_sampled, zero).item() < 0
    # its gradient lowers Q of sampled actions and raises Q of dataset actions
    qd = torch.randn(2, 5, requires_grad=True)
    qs = torch.randn(2, 5, 7, requires_grad=True)
    cql_penalty(qd, qs, torch.zeros(5, 7)).sum().backward()
    torch.testing.assert_close(qd.grad, torch.full((2, 5), -1 / 5))
    assert torch.all(qs.grad > 0)
    torch.testing.assert_close(qs.grad.sum(-1), torch.full((2, 5), 1 / 5))


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


# --- IQL -----------------------------------------------------------------------------------------


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


# --- ReBRAC --------------------------------------------------------------------------------------


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


# --- configs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, key, value", [
    ("iql", "expectile", 0.0), ("iql", "expectile", 1.0), ("iql", "beta", -1.0),
    ("td3_bc", "alpha", -0.1), ("td3_bc", "policy_delay", 0), ("td3_bc", "discount", 1.5),
    ("cql", "cql_alpha", -1.0), ("cql", "cql_n_actions", 0), ("cql", "tau", 0.0),
    ("awac", "awac_lambda", 0.0), ("awac", "weight_clip", -1.0), ("awac", "discount", 0.0),
    ("rebrac", "beta_critic", -0.01), ("rebrac", "noise_clip", -0.5), ("rebrac", "tau", 1.5),
    ("rebrac", "actor_lr", 0.0),
])
def test_baseline_configs_refuse_impossible_values(name, key, value):
    with pytest.raises(CuratedRLError, match=key.split("_")[0]):
        config_from_dict(ALGOS[name].config_cls, {key: value})


@pytest.mark.parametrize("name", BASELINES)
def test_baseline_defaults(name):
    cfg = config_from_dict(ALGOS[name].config_cls, {})
    assert (cfg.steps, cfg.eval_every, cfg.eval_episodes) == (1_000_000, 5000, 10)
    assert cfg.batch_size == (1024 if name == "rebrac" else 256)
    doc = ALGOS[name].config_cls.__doc__
    for field in cfg.__dataclass_fields__:
        assert field in doc, f"{name}: field {field} undocumented"


def test_cql_defaults_follow_corl_locomotion():
    cfg = config_from_dict(CQLConfig, {})
    got = (cfg.actor_lr, cfg.critic_lr, cfg.cql_alpha, cfg.cql_n_actions)
    assert got == (3e-5, 3e-4, 10.0, 10)
