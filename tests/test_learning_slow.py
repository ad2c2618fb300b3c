"""Slow, opt-in learning tests (`make test-slow`): the method's claim on real generated data."""

import pytest
import yaml

from curatedrl.benchmarks.suites.demo import DEMO_CONFIG
from curatedrl.run.loop.train import train
from curatedrl.datasets.suite import dataset_id, generate_env

pytestmark = pytest.mark.slow


def test_filtered_and_iw_bc_beat_bc_on_medium_replay(tmp_path):
    generate_env("hopper", size="full", tiers=("medium-replay",), progress=False)
    spec = yaml.safe_load(DEMO_CONFIG.read_text())
    scores = {}
    for algo in ("bc", "filtered_bc", "iw_bc"):
        overrides = {**spec["common"], **spec["per_algo"][algo], "eval_every": 0,
                     "final_eval_episodes": 50}
        final = train(algo, dataset_id("hopper", "medium-replay"), 0, overrides,
                      tmp_path / algo, progress=False)
        scores[algo] = final["normalized_score_last"]
    assert scores["filtered_bc"] > scores["bc"], scores
    assert scores["iw_bc"] > scores["bc"], scores
