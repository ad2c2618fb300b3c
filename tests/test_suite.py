"""The project's own datasets: shipped policies, tiers, metadata, determinism."""

import numpy as np
import pytest
import torch
from safetensors import safe_open

from curatedrl.datasets import load
from curatedrl.datasets.behaviour import BehaviourPolicy, list_checkpoints, read_card
from curatedrl.datasets.suite import ENVS, TIERS, choose_policies, dataset_id, generate_env


@pytest.mark.parametrize("env_key", list(ENVS))
def test_shipped_policies_load_without_pickle(env_key):
    paths = list_checkpoints(env_key)
    assert paths, f"no committed checkpoints for {env_key}"
    for path in paths:
        raw = path.read_bytes()
        assert raw[8:9] == b"{" and not raw.startswith((b"\x80", b"PK"))  # no pickle, no zip
        with safe_open(str(path), framework="pt") as f:  # safetensors parses it, no code runs
            assert f.metadata()["env_id"] == ENVS[env_key]
    policy = BehaviourPolicy(paths[-1])
    act = policy(np.zeros((3, policy.obs_mean.shape[0]), np.float32))
    assert act.shape[0] == 3 and np.isfinite(act).all()


@pytest.mark.parametrize("env_key", list(ENVS))
def test_cards_record_training_and_evaluation(env_key):
    card = read_card(env_key)
    t = card["training"]
    for key in ("algorithm", "seed", "steps_trained", "versions", "hardware"):
        assert key in t
    choice = choose_policies(env_key)
    evals = card["checkpoints"]
    assert all(v["episodes"] >= 20 for v in evals.values())
    assert choice.expert_return == max(v["return_mean"] for v in evals.values())
    assert choice.medium_return < choice.expert_return


@pytest.fixture(scope="module")
def tiny_hopper():
    return generate_env("hopper", size="tiny", seed=0, progress=False)


def test_tiers_are_ordered_and_carry_metadata(tiny_hopper):
    assert set(tiny_hopper) == set(TIERS)
    means = {t: load(dataset_id("hopper", t, "tiny")).returns.mean() for t in TIERS}
    assert means["random"] < means["medium-replay"] < means["medium"] < means["expert"]
    assert means["medium"] < means["medium-expert"] < means["expert"]
    for tier in TIERS:
        ds = load(dataset_id("hopper", tier, "tiny"))
        m = ds.metadata
        assert m.eval_env_id == "Hopper-v5" and m.extra["tier"] == tier
        assert m.extra["size"] == "tiny" and m.extra["seed"] == 0 and "code_commit" in m.extra
        assert m.ref_min_score < m.ref_max_score
        assert "algorithm_name" in m.extra
    me = load(dataset_id("hopper", "medium-expert", "tiny"))
    assert me.num_episodes == load(dataset_id("hopper", "medium", "tiny")).num_episodes + \
        load(dataset_id("hopper", "expert", "tiny")).num_episodes


def test_same_seed_same_hash(tiny_hopper):
    before = load(dataset_id("hopper", "medium", "tiny")).content_hash
    generate_env("hopper", size="tiny", seed=0, tiers=("medium",), force=True, progress=False)
    assert load(dataset_id("hopper", "medium", "tiny")).content_hash == before
    torch.manual_seed(5)  # global RNGs play no part
    np.random.seed(5)
    generate_env("hopper", size="tiny", seed=1, tiers=("medium",), force=True, progress=False)
    assert load(dataset_id("hopper", "medium", "tiny")).content_hash != before
    # leave the store as the module's fixture made it (seed 0), whatever runs next
    generate_env("hopper", size="tiny", seed=0, tiers=("medium",), force=True, progress=False)
    assert load(dataset_id("hopper", "medium", "tiny")).content_hash == before
