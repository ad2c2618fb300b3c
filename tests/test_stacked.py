"""Stacked seeds take exactly the steps of separate single-seed runs (up to float rounding)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from curatedrl.algos import ALGOS
from curatedrl.algos.stacked import STACKED
from curatedrl.datasets import make_generator, to_device

from tests.conftest import hand_dataset

SEEDS = [0, 3, 7]
OVERRIDES = {"bc": {"level": "transition", "batch_size": 16},
             "td3_bc": {"hidden_dim": 32, "batch_size": 16, "policy_delay": 2},
             "iql": {"hidden_dim": 32, "batch_size": 16, "steps": 10}}
METRIC = {"bc": "loss", "td3_bc": "critic_loss", "iql": "actor_loss"}


def _dataset():
    rng = np.random.default_rng(0)
    return hand_dataset(rng.uniform(0, 100, 12).tolist(), rng.integers(2, 9, 12).tolist())


@pytest.mark.parametrize("name", sorted(STACKED))
def test_stacked_steps_equal_separate_single_seed_steps(name):
    ds = _dataset()
    cls = ALGOS[name]
    cfg = cls.config_cls(**OVERRIDES[name])
    stacked = STACKED[name](cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    stacked.prepare(ds)
    singles = [cls(dataclasses.replace(cfg, seed=s), ds.metadata.obs_dim, ds.metadata.act_dim)
               for s in SEEDS]
    gens = [make_generator(s) for s in SEEDS]
    buf = to_device(ds)
    for a in singles:
        a.prepare(ds)
    for _ in range(3):  # three steps: TD3+BC's delayed actor and targets move too
        metrics = stacked.update(stacked.sample(buf))
        single_metrics = [a.update(buf.sample_transitions(cfg.batch_size, g))
                          for a, g in zip(singles, gens)]
        expected = torch.tensor([m[METRIC[name]] for m in single_metrics])
        torch.testing.assert_close(metrics[METRIC[name]], expected, rtol=1e-5, atol=1e-5)
    for exported, single in zip(stacked.export(), singles):
        for key, part in single.state_dict().items():
            if not isinstance(part, dict) or key.endswith("opt"):
                continue
            for p, q in zip(exported.state_dict()[key].values(), part.values()):
                if isinstance(p, torch.Tensor):
                    torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_stacked_initialisation_is_each_seeds_single_initialisation():
    ds = _dataset()
    stacked = STACKED["bc"](ALGOS["bc"].config_cls(), [1, 2], 3, 2)
    single = ALGOS["bc"](ALGOS["bc"].config_cls(seed=2), 3, 2)
    torch.testing.assert_close(stacked.actor.net[0].weight[1].t(), single.actor.net[0].weight,
                               rtol=0, atol=0)
    obs = torch.as_tensor(ds.observations[:5])
    torch.testing.assert_close(stacked.actor.act(obs.expand(2, -1, -1))[1],
                               single.actor.act(obs), rtol=1e-6, atol=1e-6)


def test_stacked_refuses_repeated_seeds():
    from curatedrl.errors import CuratedRLError

    with pytest.raises(CuratedRLError):
        STACKED["bc"](ALGOS["bc"].config_cls(), [1, 1], 3, 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STACKED))
def test_compiled_stacked_update_equals_eager(name):
    """The opt-in ``compile()`` path (CUDA graphs on a GPU) traces the same step; checked here on
    CPU with the ``aot_eager`` backend (no GPU, no code generation)."""
    ds = _dataset()
    cfg = ALGOS[name].config_cls(**OVERRIDES[name])
    eager = STACKED[name](cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    compiled = STACKED[name](cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    compiled.compile(backend="aot_eager")
    buf = to_device(ds)
    for agent in (eager, compiled):
        agent.prepare(ds)
    for _ in range(3):
        m_eager = eager.update(eager.sample(buf))
        m_compiled = compiled.update(compiled.sample(buf))
        torch.testing.assert_close(m_compiled[METRIC[name]], m_eager[METRIC[name]])
