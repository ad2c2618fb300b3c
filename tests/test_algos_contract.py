"""Contract tests run over every entry of ALGOS: a new algorithm is tested on arrival."""

import dataclasses

import numpy as np
import pytest
import torch

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.networks import GaussianActor
from curatedrl.datasets import make_generator, to_device
from curatedrl.errors import CuratedRLError
from tests.conftest import hand_dataset

OBS, ACT = 5, 2


def small_overrides(cls):
    names = {f.name for f in dataclasses.fields(cls.config_cls)}
    values = {"batch_size": 8, "steps": 20, "ref_steps": 5, "ref_batch_size": 4,
              "warmup_steps": 2}
    return {k: v for k, v in values.items() if k in names}


class StubStageOne:
    """A stage 1 without training: π_ref is a fixed random actor, log π_ref computed on demand;
    no stage-1 record (snapshots never divide the evaluation steps), so ``bc`` trains."""

    snapshot_every = 10 ** 9

    def __init__(self, ds):
        self.ds = ds

    def policy(self, bc_cfg):
        torch.manual_seed(123)
        return GaussianActor(OBS, ACT).state_dict(), "stub", False

    def record(self, bc_cfg):
        raise AssertionError("no algorithm of the contract tests replays a stage-1 record")

    def log_probs(self, key, actor):
        obs, act = (torch.as_tensor(x) for x in (self.ds.observations, self.ds.actions))
        with torch.no_grad():
            return actor.log_prob(obs, act)


def build(name, seed=0):
    cls = ALGOS[name]
    cfg = config_from_dict(cls.config_cls, {"seed": seed, **small_overrides(cls)})
    ds = hand_dataset(list(np.linspace(0, 50, 30)), lengths=[2 + i % 5 for i in range(30)],
                      obs_dim=OBS, act_dim=ACT)
    agent = cls(cfg, OBS, ACT)
    agent.prepare(ds, StubStageOne(ds))
    buf = to_device(ds).restrict(agent.select(ds))
    gen = make_generator(seed)
    return agent, lambda: agent.sample(buf, gen)


def params(agent):
    state = agent.state_dict()
    flat = []

    def walk(x):
        if isinstance(x, torch.Tensor):
            flat.append(x.detach().clone().float().reshape(-1))
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
    walk(state)
    return torch.cat(flat)


@pytest.mark.parametrize("name", list(ALGOS))
def test_update_returns_finite_floats_and_changes_parameters(name):
    agent, batch = build(name)
    before = params(agent)
    for _ in range(3):
        metrics = agent.update(batch())
    assert metrics and all(isinstance(v, float) and np.isfinite(v) for v in metrics.values())
    assert not torch.equal(before, params(agent))


@pytest.mark.parametrize("name", list(ALGOS))
def test_save_load_gives_identical_actions(name, tmp_path):
    agent, batch = build(name, seed=1)
    for _ in range(3):
        agent.update(batch())
    torch.save(agent.state_dict(), tmp_path / "ckpt.pt")
    other, _ = build(name, seed=2)
    other.load_state_dict(torch.load(tmp_path / "ckpt.pt", weights_only=True))
    obs = np.random.default_rng(0).normal(size=(16, OBS)).astype(np.float32) * 3
    np.testing.assert_array_equal(agent.act(obs), other.act(obs))
    # training continues identically after loading
    b = batch()
    assert agent.update(b) == other.update(b)


@pytest.mark.parametrize("name", list(ALGOS))
def test_actions_respect_bounds(name):
    agent, _ = build(name)
    obs = np.random.default_rng(1).normal(size=(64, OBS)).astype(np.float32) * 100
    act = agent.act(obs)
    assert act.shape == (64, ACT) and np.all(np.abs(act) <= 1.0)


@pytest.mark.parametrize("name", list(ALGOS))
def test_config_refuses_bad_values(name):
    cls = ALGOS[name].config_cls
    with pytest.raises(CuratedRLError, match="steps must be positive"):
        config_from_dict(cls, {"steps": 0})
    with pytest.raises(CuratedRLError, match="did you mean 'batch_size'"):
        config_from_dict(cls, {"batch_sise": 3})
