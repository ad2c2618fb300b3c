"""The baselines' configs: impossible values refused, the shared defaults documented field by
field, and CQL's defaults as CORL's locomotion runs."""

import pytest

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.cql import CQLConfig
from curatedrl.errors import CuratedRLError

BASELINES = ["td3_bc", "iql", "cql", "awac", "rebrac"]


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
