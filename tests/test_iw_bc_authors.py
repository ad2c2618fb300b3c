"""iw-BC against an independent float64 re-implementation of the authors' update (padded
episodes, plain loops, its own MLP and Gaussian density; nothing shared with the package):

- episode weights w(τ) = clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, 1000) / Σ w over the
  WHOLE episodes, whatever rows the gradient uses;
- loss = (1/n) Σ_j w_j · ℓ_j, ℓ_j the mean NLL over episode j's rows in the batch (all of them, or
  k sampled ones); per-step variant: s_t = clamp(exp(temp · (log q − log π_ref)), 0, 2) divided by
  Σ s_t over every step of the batch's whole episodes, ℓ_j = −Σ_t s̃_t log π_t / T_j, loss = mean;
- q ← 0.9 q + 0.1 θ before the loss, then one Adam step (lr 4e-5, β = (0.9, 0.999), eps 1e-8).
"""

import math

import numpy as np
import pytest
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.networks import GaussianActor
from curatedrl.datasets import make_generator, to_device
from tests.conftest import hand_dataset

OBS, ACT, N = 4, 2, 16
TOL = 1e-10


def float64_dataset():
    ds = hand_dataset(list(np.linspace(0, 30, 40)), lengths=[1 + (7 * i) % 23 for i in range(40)],
                      obs_dim=OBS, act_dim=ACT, seed=4)
    ds.observations = ds.observations.astype(np.float64) * 2.0
    ds.actions = ds.actions.astype(np.float64) * 0.9
    return ds


def make_agent(ds, **kw):
    cfg = config_from_dict(IWBCConfig, {"batch_size": N, "warmup_steps": 0, "steps": 10,
                                        "percentiles": (50.0, 75.0, 90.0), **kw})
    agent = IWBC(cfg, OBS, ACT)
    torch.manual_seed(99)
    ref = GaussianActor(OBS, ACT).double()
    with torch.no_grad():
        ref.log_std.copy_(torch.tensor([-0.3, 0.2]))
    for m in (agent.actor, agent.q, agent.ref):
        m.double()
    agent.prepare(ds)
    agent.set_reference(ref.state_dict())
    with torch.no_grad():  # move the learner away from π_ref so that the weights are not uniform
        for p in agent.actor.parameters():
            p.add_(0.05 * torch.randn(p.shape, dtype=p.dtype))
    return agent


# --- the independent re-implementation ----------------------------------------------------------

def log_density(params, obs, act):
    """log N(act; tanh(MLP(obs)), exp(clamp(log_std))) summed over action dims, any leading dims."""
    x = obs
    for i in (0, 2, 4):
        x = torch.relu(x @ params[f"net.{i}.weight"].T + params[f"net.{i}.bias"])
    mean = torch.tanh(x @ params["net.6.weight"].T + params["net.6.bias"])
    log_std = torch.clamp(params["log_std"], -5.0, 2.0)
    var = torch.exp(2 * log_std)
    return (-(act - mean) ** 2 / (2 * var) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def authors_step(theta, q, ref, episodes, sampled, cfg):
    """One update. ``episodes``: list of (obs (T, d), act (T, a)) whole episodes of the batch;
    ``sampled``: per episode the within-episode indices the gradient uses.
    Returns (weights, loss, new theta, new q)."""
    n = len(episodes)
    q = {k: cfg.ema_decay * q[k] + (1 - cfg.ema_decay) * theta[k] for k in q}
    t_max = max(len(o) for o, _ in episodes)
    obs = torch.zeros(n, t_max, OBS, dtype=torch.float64)
    act = torch.zeros(n, t_max, ACT, dtype=torch.float64)
    mask = torch.zeros(n, t_max, dtype=torch.float64)
    for j, (o, a) in enumerate(episodes):
        obs[j, :len(o)], act[j, :len(o)], mask[j, :len(o)] = o, a, 1.0
    with torch.no_grad():
        lq, lr = log_density(q, obs, act), log_density(ref, obs, act)
    weights = step_w = None
    if not cfg.per_step:
        raw = []
        for j in range(n):
            T = int(mask[j].sum())
            diff = sum(float(lq[j, t] - lr[j, t]) for t in range(T))
            raw.append(min(max(math.exp(cfg.temperature * diff / T), 0.0), cfg.weight_clip))
        weights = [r / sum(raw) for r in raw]
    else:
        s = torch.clamp(torch.exp(cfg.temperature * (lq - lr)), 0.0, cfg.step_weight_clip) * mask
        step_w = s / s.sum()
    theta = {k: v.clone().requires_grad_(True) for k, v in theta.items()}
    lp = log_density(theta, obs, act)
    terms = []
    for j in range(n):
        idx = sampled[j]
        if weights is not None:
            terms.append(weights[j] * -sum(lp[j, t] for t in idx) / len(idx))
        else:
            terms.append(-sum(step_w[j, t] * lp[j, t] for t in idx) / len(idx))
    loss = sum(terms) / n
    grads = torch.autograd.grad(loss, list(theta.values()))
    new = {}
    b1, b2, eps = 0.9, 0.999, 1e-8
    for (k, p), g in zip(theta.items(), grads):  # Adam, first step
        m, v = (1 - b1) * g, (1 - b2) * g * g
        new[k] = (p - cfg.lr * (m / (1 - b1)) / (torch.sqrt(v / (1 - b2)) + eps)).detach()
    return weights if weights is not None else step_w, loss.detach(), new, q


# --- the comparison ------------------------------------------------------------------------------

def state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def batch_episodes(ds, batch):
    offsets = ds.offsets
    eps, sampled = [], []
    rows = batch.rows.numpy()
    seg = batch.segment.numpy()
    for j, e in enumerate(batch.episodes.tolist()):
        a, b = offsets[e], offsets[e + 1]
        eps.append((torch.as_tensor(ds.observations[a:b]), torch.as_tensor(ds.actions[a:b])))
        sampled.append([int(r - a) for r in rows[seg == j]])
    return eps, sampled


@pytest.mark.parametrize("per_step", [False, True])
@pytest.mark.parametrize("k", [0, 3])
def test_one_step_equals_the_authors_formula_in_float64(per_step, k):
    ds = float64_dataset()
    agent = make_agent(ds, per_step=per_step, steps_per_episode=k)
    buf = to_device(ds).restrict(agent.select(ds))
    batch = buf.sample_episodes(N, make_generator(5), **({"steps_per_episode": k} if k else {}))
    assert len(set(batch.episodes.tolist())) < N  # repeated episodes: the unique-episode path
    episodes, sampled = batch_episodes(ds, batch)
    theta, q, ref = state(agent.actor), state(agent.q), state(agent.ref)
    w_ref, loss_ref, theta_ref, q_ref = authors_step(theta, q, ref, episodes, sampled, agent.cfg)

    loss = agent.update(batch)["loss"]
    assert abs(loss - loss_ref.item()) <= TOL * max(1.0, abs(loss))
    if per_step:
        rows = torch.cat([w_ref[j, sampled[j]] for j in range(N)])
        torch.testing.assert_close(agent.last_weights, rows, rtol=TOL, atol=TOL * 1e-3)
    else:
        torch.testing.assert_close(agent.last_weights, torch.tensor(w_ref, dtype=torch.float64),
                                   rtol=TOL, atol=TOL * 1e-3)
        assert agent.last_weights.std() > 1e-3  # the weights are not trivially uniform
    for name, p in agent.actor.state_dict().items():
        torch.testing.assert_close(p, theta_ref[name], rtol=0, atol=TOL)
        torch.testing.assert_close(agent.q.state_dict()[name], q_ref[name], rtol=0, atol=TOL)


def test_the_sum_instead_of_the_mean_fails_the_comparison():
    """The test can fail: the old loss (Σ instead of mean over the batch) moves the parameters
    by more than the tolerance (Adam's eps)."""
    ds = float64_dataset()
    agent = make_agent(ds)
    buf = to_device(ds).restrict(agent.select(ds))
    batch = buf.sample_episodes(N, make_generator(5))
    episodes, sampled = batch_episodes(ds, batch)
    theta, q, ref = state(agent.actor), state(agent.q), state(agent.ref)
    _, _, theta_ref, _ = authors_step(theta, q, ref, episodes, sampled, agent.cfg)
    agent.loss = lambda b, f=agent.loss: N * f(b)  # the sum
    agent.update(batch)
    gap = max((agent.actor.state_dict()[k] - theta_ref[k]).abs().max().item() for k in theta)
    assert gap > 1e3 * TOL


@pytest.mark.parametrize("per_step", [False, True])
def test_weights_with_sampled_steps_equal_those_of_the_whole_episodes(per_step):
    ds = float64_dataset()
    whole_agent, sampled_agent = make_agent(ds, per_step=per_step), \
        make_agent(ds, per_step=per_step, steps_per_episode=4)
    view = to_device(ds).restrict(sampled_agent.select(ds))
    full = to_device(ds)
    gen = make_generator(2)
    for _ in range(3):
        sampled = view.sample_episodes(N, gen, steps_per_episode=4)
        whole = full.gather_episodes(sampled.episodes)  # the same episodes, whole
        sampled_agent.update(sampled)
        whole_agent.update(whole)
        if per_step:  # the step weights of the sampled rows are those rows' whole-batch weights
            pos = {int(r): i for i, r in enumerate(whole.rows)}
            picked = whole_agent.last_weights[[pos[int(r)] for r in sampled.rows]]
            torch.testing.assert_close(sampled_agent.last_weights, picked, rtol=1e-12,
                                       atol=1e-15)
        else:
            torch.testing.assert_close(sampled_agent.last_weights, whole_agent.last_weights,
                                       rtol=1e-12, atol=1e-15)
        sampled_agent.actor.load_state_dict(whole_agent.actor.state_dict())  # same learner
        sampled_agent.q.load_state_dict(whole_agent.q.state_dict())


def test_weight_refresh_reuses_log_q_until_it_is_r_steps_old():
    ds = float64_dataset()
    exact, stale = make_agent(ds), make_agent(ds, weight_refresh=3)
    buf = to_device(ds).restrict(exact.select(ds))
    gen = make_generator(7)
    first = buf.sample_episodes(N, gen)
    exact.update(first)
    stale.update(first)  # nothing cached yet: every episode computed, as the exact weights
    torch.testing.assert_close(stale.last_weights, exact.last_weights, rtol=1e-10, atol=1e-14)
    cached = stale.stale_log_q["value"].clone()
    stale.actor.load_state_dict(exact.actor.state_dict())
    stale.q.load_state_dict(exact.q.state_dict())
    stale.update(first)  # 1 step later: the cached log q(τ) is used, though q has moved
    assert torch.equal(stale.stale_log_q["value"], cached)
    exact.update(first)
    assert not torch.allclose(stale.last_weights, exact.last_weights, rtol=1e-9, atol=0)
    for _ in range(2):
        stale.update(first)
    changed = stale.stale_log_q["value"] != cached  # 3 steps old: recomputed
    assert changed[first.episodes].all() and not changed[~torch.isin(
        torch.arange(len(changed)), first.episodes)].any()
