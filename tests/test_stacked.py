"""Stacked seeds take exactly the steps of separate single-seed runs (up to float rounding), for
every algorithm that stacks; the stacked API refuses what it cannot train."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import torch

from curatedrl.algos import ALGOS
from curatedrl.algos.stacked import STACKED, stack
from curatedrl.datasets import make_generator, to_device
from curatedrl.errors import CuratedRLError

from tests.conftest import hand_dataset

# `make gpu-check` runs these tests on cuda (CURATEDRL_TEST_DEVICE=cuda); cpu otherwise
DEVICE = os.environ.get("CURATEDRL_TEST_DEVICE", "cpu")
SEEDS = [0, 3, 7]
SMALL = {"hidden_dim": 32, "batch_size": 16}
OVERRIDES = {"bc": {"level": "transition", "batch_size": 16},
             "td3_bc": {**SMALL, "policy_delay": 2},
             "iql": {**SMALL, "steps": 10},
             "awac": SMALL,
             "cql": {**SMALL, "cql_n_actions": 4},
             "rebrac": {**SMALL, "policy_delay": 2}}
STEPS = 4  # the delayed actor and targets of TD3+BC and ReBRAC move twice
# Tolerances: batched matmuls (vmap) and the fused Adam round differently from single-seed ones;
# after 4 steps losses agree to ~1e-6 and parameters to ~1e-7 in practice.
METRIC_TOL = {"rtol": 1e-5, "atol": 1e-5}
PARAM_TOL = {"rtol": 1e-4, "atol": 1e-5}


def _dataset():
    rng = np.random.default_rng(0)
    return hand_dataset(rng.uniform(0, 100, 12).tolist(), rng.integers(2, 9, 12).tolist())


def _assert_same_state(a, b, path=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same_state(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_state(x, y, f"{path}[{i}]")
    elif isinstance(a, torch.Tensor) and a.is_floating_point():
        torch.testing.assert_close(a, b, **PARAM_TOL, msg=lambda m: f"{path}: {m}")
    elif isinstance(a, float):  # the last actor metrics
        assert a == pytest.approx(b, rel=PARAM_TOL["rtol"], abs=PARAM_TOL["atol"]), path
    elif not path.endswith("/generator"):  # generators: compared as draws, below
        assert a == b if not isinstance(a, torch.Tensor) else torch.equal(a, b), path


def test_every_baseline_and_bc_stacks():
    assert set(STACKED) == {"bc", "td3_bc", "iql", "awac", "cql", "rebrac"}


@pytest.mark.parametrize("name", sorted(STACKED))
def test_stacked_steps_equal_separate_single_seed_steps(name):
    ds = _dataset()
    cls = ALGOS[name]
    cfg = cls.config_cls(**OVERRIDES[name], device=DEVICE)
    stacked = stack(name, cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    stacked.prepare(ds)
    singles = [cls(dataclasses.replace(cfg, seed=s), ds.metadata.obs_dim, ds.metadata.act_dim)
               for s in SEEDS]
    gens = [make_generator(s, DEVICE) for s in SEEDS]
    buf = to_device(ds, DEVICE)
    for a in singles:
        a.prepare(ds)
    for _ in range(STEPS):
        metrics = stacked.update(stacked.sample(buf))
        single_metrics = [a.update(buf.sample_transitions(cfg.batch_size, g))
                          for a, g in zip(singles, gens)]
        assert metrics.keys() == single_metrics[0].keys()
        for key, value in metrics.items():
            expected = torch.tensor([m[key] for m in single_metrics], device=DEVICE)
            torch.testing.assert_close(value, expected, **METRIC_TOL, msg=key)
    for exported, single in zip(stacked.export(), singles):
        # every network, buffer and optimizer state, the update counter, the last metrics
        _assert_same_state(exported.state_dict(), single.state_dict())
        if hasattr(single, "generator"):  # the same noise draws were consumed
            assert torch.equal(exported.generator.get_state(), single.generator.get_state())
        obs = torch.as_tensor(ds.observations[:5], device=DEVICE)
        torch.testing.assert_close(exported.act_tensor(obs), single.act_tensor(obs),
                                   **PARAM_TOL)
    # an exported seed trains on like its separate run (Adam moments and counters came back)
    batch = buf.sample_transitions(cfg.batch_size, make_generator(99, DEVICE))
    for exported, single in zip(stacked.singles, singles):
        after, expected = exported.update(batch), single.update(batch)
        assert after == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_stacked_initialisation_is_each_seeds_single_initialisation():
    ds = _dataset()
    cfg = ALGOS["bc"].config_cls(level="transition")
    stacked = stack("bc", cfg, [1, 2], 3, 2)
    single = ALGOS["bc"](dataclasses.replace(cfg, seed=2), 3, 2)
    torch.testing.assert_close(stacked.nets.state["actor"]["m.net.0.weight"][1],
                               single.actor.net[0].weight, rtol=0, atol=0)
    obs = torch.as_tensor(ds.observations[:5])
    act = stacked.nets.apply(lambda nets, o: nets.actor.act(o), obs.expand(2, -1, -1))
    torch.testing.assert_close(act[1], single.actor.act(obs), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name, seeds, overrides, match", [
    ("bc", [1, 1], {"level": "transition"}, "distinct"),
    ("td3_bc", [], {}, "at least one seed"),
    ("iw_bc", [0, 1], {}, "cannot train stacked seeds"),
    ("filtered_bc", [0], {}, "cannot train stacked seeds"),
    ("bc", [0, 1], {"level": "episode"}, "level 'transition'"),
])
def test_stacked_refuses_what_it_cannot_train_in_one_line(name, seeds, overrides, match):
    cfg = ALGOS[name].config_cls(**overrides)
    with pytest.raises(CuratedRLError, match=match) as err:
        stack(name, cfg, seeds, 3, 2)
    assert "\n" not in str(err.value)


def test_stacked_update_reaches_no_network_of_the_first_seed():
    """The stacked agent's own module attributes are cleared: an update that bypassed
    ``self.nets`` would fail instead of silently training seed 0's networks."""
    cfg = ALGOS["td3_bc"].config_cls(**OVERRIDES["td3_bc"])
    stacked = stack("td3_bc", cfg, SEEDS, 3, 2)
    assert stacked.agent.actor is None and stacked.agent.critic_opt is None
    assert stacked.agent.normalizer is stacked.singles[0].normalizer  # data statistics: shared


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STACKED))
def test_compiled_stacked_update_equals_eager(name):
    """The opt-in ``compile()`` path (CUDA graphs on a GPU) traces the same step; checked here on
    CPU with the ``aot_eager`` backend (no GPU, no code generation)."""
    ds = _dataset()
    cfg = ALGOS[name].config_cls(**OVERRIDES[name], device=DEVICE)
    eager = stack(name, cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    compiled = stack(name, cfg, SEEDS, ds.metadata.obs_dim, ds.metadata.act_dim)
    compiled.compile(backend="aot_eager")
    buf = to_device(ds, DEVICE)
    for agent in (eager, compiled):
        agent.prepare(ds)
    for _ in range(3):
        m_eager = eager.update(eager.sample(buf))
        m_compiled = compiled.update(compiled.sample(buf))
        for key in m_eager:
            torch.testing.assert_close(m_compiled[key], m_eager[key], msg=key)
