"""Sharp tests of the method: iw-BC at temperature 0 is filtered BC, hand-computed weights,
schedule and EMA values, packed loss against a padded-and-masked computation."""

import numpy as np
import pytest
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.iw_bc import IWBC, IWBCConfig, episode_weights
from curatedrl.algos.networks import GaussianActor
from curatedrl.algos.nll import weighted_episode_nll
from curatedrl.algos.schedules import warmup_cosine
from curatedrl.datasets import make_generator, pad_segments, to_device
from curatedrl.errors import CuratedRLError
from tests.conftest import hand_dataset

OBS, ACT = 4, 2


def dataset():
    return hand_dataset(list(np.linspace(0, 30, 40)), lengths=[1 + (7 * i) % 9 for i in range(40)],
                        obs_dim=OBS, act_dim=ACT, seed=4)


def reference_state():
    torch.manual_seed(99)
    actor = GaussianActor(OBS, ACT)
    with torch.no_grad():
        actor.log_std.fill_(-0.3)
    return actor.state_dict()


def make(cls, cfg_cls, **kw):
    cfg = config_from_dict(cfg_cls, {"batch_size": 6, "warmup_steps": 0, **kw})
    agent = cls(cfg, OBS, ACT)
    agent.set_reference(reference_state())
    return agent


def test_iw_bc_at_temperature_zero_is_filtered_bc_divided_by_n():
    ds = dataset()
    fbc = make(FilteredBC, FilteredBCConfig)
    iw = make(IWBC, IWBCConfig, temperature=0.0)
    iw.prepare(ds)
    buf = to_device(ds).restrict(fbc.select(ds))
    gen = make_generator(0)
    for _ in range(5):  # a few steps, so the learner has moved away from π_ref and from q
        batch = buf.sample_episodes(6, gen)
        loss_f, loss_i = fbc.loss(batch), iw.loss(batch)
        torch.testing.assert_close(loss_i, loss_f / 6, rtol=1e-6, atol=0)  # the authors' 1/n
        fbc.opt.zero_grad()
        iw.opt.zero_grad()
        loss_f.backward()
        (6 * loss_i).backward()
        for pf, pi in zip(fbc.actor.parameters(), iw.actor.parameters()):
            torch.testing.assert_close(pi.grad, pf.grad, rtol=1e-5, atol=1e-7)
        fbc.opt.step()  # one learner for both (Adam's eps: a step on loss/n is not the same)
        fbc.sched.step()
        iw.actor.load_state_dict(fbc.actor.state_dict())


def test_episode_weights_match_a_hand_computation():
    log_q = torch.tensor([-10.0, -3.0, -40.0, 5.0], dtype=torch.float64)
    log_ref = torch.tensor([-12.0, -3.0, -30.0, -200.0], dtype=torch.float64)
    lengths = torch.tensor([2, 3, 5, 1])
    w = episode_weights(log_q, log_ref, lengths, temperature=10.0, clip=1000.0)
    # exp(10 * diff / T): diff/T = 1, 0, -2, 205 → e^10 (clamped to 1000), 1, e^-20, clamped 1000
    raw = np.array([1000.0, 1.0, np.exp(-20.0), 1000.0])
    np.testing.assert_allclose(w.numpy(), raw / raw.sum(), rtol=1e-12)
    assert w.sum().item() == pytest.approx(1.0)


def test_weighted_loss_is_the_weighted_mean_of_episode_nlls():
    lp = torch.tensor([-1.0, -2.0, -3.0, -4.0, -5.0, -6.0])
    segment = torch.tensor([0, 0, 1, 1, 1, 2])
    lengths = torch.tensor([2, 3, 1])
    per_episode = torch.tensor([3.0 / 2, 12.0 / 3, 6.0])
    w = torch.tensor([0.5, 0.25, 0.25])
    assert weighted_episode_nll(lp, segment, lengths).item() == pytest.approx(
        per_episode.mean().item())
    assert weighted_episode_nll(lp, segment, lengths, w).item() == pytest.approx(
        (w * per_episode).mean().item())  # the authors' mean over the batch


def test_schedule_and_ema_values_at_paper_steps():
    assert [warmup_cosine(s, 300, 2000) for s in (0, 300, 1150, 2000)] == \
        pytest.approx([0.0, 1.0, 0.5, 0.0], abs=1e-12)
    assert warmup_cosine(150, 300, 2000) == pytest.approx(0.5)

    ds = hand_dataset([1.0, 2.0, 3.0, 4.0], lengths=[2, 2, 2, 2], obs_dim=OBS, act_dim=ACT)
    cfg = config_from_dict(IWBCConfig, {"batch_size": 2, "steps": 2000, "warmup_steps": 300,
                                        "lr": 1e-3, "percentiles": (0.0,)})
    agent = IWBC(cfg, OBS, ACT)
    agent.prepare(ds)
    agent.set_reference(reference_state())
    buf = to_device(ds).restrict(agent.select(ds))
    gen = make_generator(0)
    expected_q = {n: p.detach().double().clone() for n, p in agent.q.named_parameters()}
    checks = {0: 0.0, 300: 1e-3, 1150: 0.5e-3, 1999: None}
    for step in range(2000):
        if step in checks and checks[step] is not None:
            assert agent.opt.param_groups[0]["lr"] == pytest.approx(checks[step], abs=1e-12)
        if step in (0, 300, 1150, 1999):
            for n, p in agent.q.named_parameters():  # q before this step's update
                torch.testing.assert_close(p.double(), expected_q[n], rtol=1e-5, atol=1e-6)
        for n, p in agent.actor.named_parameters():  # q ← 0.9 q + 0.1 θ, before the loss
            expected_q[n] = 0.9 * expected_q[n] + 0.1 * p.detach().double()
        agent.update(buf.sample_episodes(2, gen))
    assert agent.opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-15)  # step 2000


def test_packed_loss_equals_padded_and_masked():
    ds = dataset()
    agent = make(FilteredBC, FilteredBCConfig)
    buf = to_device(ds)
    batch = buf.sample_episodes(12, make_generator(3))
    lp = agent.actor.log_prob(batch.observations, batch.actions)
    packed = weighted_episode_nll(lp, batch.segment, batch.lengths)
    obs, mask = pad_segments(batch.observations, batch.segment, batch.lengths)
    act, _ = pad_segments(batch.actions, batch.segment, batch.lengths)
    lp_pad = agent.actor.log_prob(obs, act) * mask
    padded = (-lp_pad.sum(1) / mask.sum(1)).mean()
    torch.testing.assert_close(packed, padded, rtol=1e-5, atol=1e-6)


def test_subsampled_episode_steps_are_an_unbiased_estimate():
    ds = hand_dataset([0.0] * 3, lengths=[1, 4, 10], obs_dim=OBS, act_dim=ACT)
    agent = make(FilteredBC, FilteredBCConfig)
    buf = to_device(ds)
    full = buf.gather_episodes(torch.arange(3))
    exact = agent.loss(full).item()
    gen = make_generator(0)
    estimates = []
    for _ in range(400):
        b = buf.sample_episodes(3, gen, steps_per_episode=4)
        estimates.append(agent.loss(b).item())
    # episodes are drawn uniformly too: the expectation is the mean of per-episode mean NLLs
    assert np.mean(estimates) == pytest.approx(exact, rel=0.05)


def test_bad_percentiles_are_refused():
    with pytest.raises(CuratedRLError, match="percentiles must lie in"):
        config_from_dict(FilteredBCConfig, {"percentiles": (90, 120)})
    with pytest.raises(CuratedRLError, match="lr must be positive"):
        config_from_dict(IWBCConfig, {"lr": -1.0})
