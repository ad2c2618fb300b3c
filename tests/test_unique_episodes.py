"""The whole-episode fine-tuning loss evaluates each unique episode of a batch once: the same
loss and the same gradient as evaluating every repeat (float64), for filtered BC and iw-BC."""

import numpy as np
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.networks import GaussianActor
from curatedrl.algos.nll import first_occurrences, unique_episode_nll, weighted_episode_nll
from curatedrl.datasets import make_generator, to_device
from tests.conftest import hand_dataset

OBS, ACT = 4, 2


def dataset():
    ds = hand_dataset(list(np.linspace(0, 30, 40)), lengths=[1 + (7 * i) % 23 for i in range(40)],
                      obs_dim=OBS, act_dim=ACT, seed=4)
    ds.observations = ds.observations.astype(np.float64)
    ds.actions = ds.actions.astype(np.float64) * 0.9
    return ds


def test_first_occurrences():
    first, inverse = first_occurrences(torch.tensor([5, 3, 5, 9, 3, 3]))
    assert first.tolist() == [1, 0, 3] and inverse.tolist() == [1, 0, 1, 2, 0, 0]


def test_unique_loss_and_gradient_equal_the_plain_ones():
    ds = dataset()
    agent = FilteredBC(config_from_dict(FilteredBCConfig, {"percentiles": (50.0, 75.0, 90.0)}),
                       OBS, ACT)
    buffer = to_device(agent.select(ds))
    batch = buffer.sample_episodes(64, make_generator(1))
    assert len(torch.unique(batch.episodes)) < 40  # the strata repeat episodes
    actor = GaussianActor(OBS, ACT).double()
    weights = torch.rand(64, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    for w in (None, weights / weights.sum()):
        grads = []
        for fn in ("plain", "unique"):
            actor.zero_grad()
            if fn == "plain":
                lp = actor.log_prob(batch.observations, batch.actions)
                loss = weighted_episode_nll(lp, batch.segment, batch.lengths, w)
            else:
                loss = unique_episode_nll(actor.log_prob, batch.observations, batch.actions,
                                          batch.segment, batch.lengths, batch.episodes, w)
            loss.backward()
            grads.append((loss.item(), [p.grad.clone() for p in actor.parameters()]))
        (a, ga), (b, gb) = grads
        assert abs(a - b) <= 1e-12 * abs(a)
        for x, y in zip(ga, gb):
            torch.testing.assert_close(x, y, rtol=1e-11, atol=1e-13)


def test_updates_equal_those_with_every_repeat_evaluated(monkeypatch):
    """A few whole-episode updates of filtered BC and iw-BC land on the same parameters as
    updates whose loss evaluates every repeated episode (the loss before deduplication)."""
    ds = dataset()
    for cls, cfg_cls in ((FilteredBC, FilteredBCConfig), (IWBC, IWBCConfig)):
        states = []
        for dedup in (True, False):
            cfg = config_from_dict(cfg_cls, {"batch_size": 32, "warmup_steps": 0, "steps": 5,
                                             "percentiles": (50.0, 75.0, 90.0)})
            agent = cls(cfg, OBS, ACT)
            torch.manual_seed(3)
            ref = GaussianActor(OBS, ACT).double()
            for m in (agent.actor, agent.ref, *([agent.q] if cls is IWBC else [])):
                m.double()
            agent.opt = torch.optim.Adam(agent.actor.parameters(), lr=1e-2)
            agent.prepare(ds)
            agent.set_reference(ref.state_dict())
            if not dedup:
                monkeypatch.setattr(agent.cfg, "steps_per_episode", 0)
                plain = agent.loss

                def loss(batch, agent=agent):
                    weights, _ = agent.episode_weights(batch)
                    lp = agent.actor.log_prob(batch.observations, batch.actions)
                    return weighted_episode_nll(lp, batch.segment, batch.lengths, weights)
                agent.loss = loss
                assert plain is not loss
            buffer = to_device(agent.select(ds))
            gen = make_generator(7)
            for _ in range(5):
                agent.actor.zero_grad()
                loss_value = agent.loss(agent.sample(buffer, gen))
                agent.opt.zero_grad()
                loss_value.backward()
                agent.opt.step()
            states.append([p.detach().clone() for p in agent.actor.parameters()])
        for x, y in zip(*states):
            torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-12)
