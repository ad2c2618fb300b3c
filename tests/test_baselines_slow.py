"""Slow, opt-in learning tests of the offline-RL baselines (`make test-slow`): on the generated
Hopper medium-replay dataset, a short run of each baseline scores clearly above its own untrained
policy. Step counts are far below the recipes' 1M: they check learning, not final scores. Each
baseline gets the recipe's per-dataset hyperparameters from benchmarks/suites/configs (ReBRAC's
β values for hopper-medium-replay), exactly as a sweep would.
"""

import pytest
import torch

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.benchmarks.suites.cell_config import dataset_overrides
from curatedrl.run.loop.train import EVAL_SEED, train
from curatedrl.datasets import load
from curatedrl.datasets.suite import dataset_id, generate_env
from curatedrl.envs import evaluate

pytestmark = pytest.mark.slow

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
EPISODES = 10
MARGIN = 5.0  # normalised-score points above the untrained policy

# steps per baseline: enough for a clear gain on CPU in minutes (CQL's and ReBRAC's steps cost
# about 25× and 7× TD3+BC's on CPU)
STEPS = {"td3_bc": 20_000, "iql": 20_000, "awac": 20_000, "rebrac": 5_000, "cql": 3_000}


@pytest.fixture(scope="module")
def medium_replay():
    generate_env("hopper", size="full", tiers=("medium-replay",), progress=False)
    return dataset_id("hopper", "medium-replay")


def untrained_score(name: str, ds, seed: int) -> float:
    cls = ALGOS[name]
    cfg = config_from_dict(cls.config_cls, {"seed": seed, "device": DEVICE})
    agent = cls(cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    agent.prepare(ds)
    res = evaluate(agent.act, ds.metadata, EPISODES, EVAL_SEED + 1000 * seed)
    return res.summary()["normalized_mean"]


@pytest.mark.parametrize("name", list(STEPS))
def test_baseline_improves_on_its_untrained_policy(name, medium_replay, tmp_path):
    seed = 0
    before = untrained_score(name, load(medium_replay), seed)
    overrides = {**dataset_overrides(name, medium_replay), "steps": STEPS[name], "eval_every": 0,
                 "final_eval_episodes": EPISODES, "device": DEVICE}
    final = train(name, medium_replay, seed, overrides, out=tmp_path / name, progress=False)
    after = final["normalized_score_last"]
    assert after > before + MARGIN, (name, before, after)
