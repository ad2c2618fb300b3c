"""The committed dataset manifest: regenerated data matches it, mismatches are named, sizes have
their own ids, missing suite ids point to `datasets generate`, medium-replay is D4RL-sized."""

import json

import pytest

from curatedrl.cli import main
from curatedrl.datasets import load
from curatedrl.datasets import manifest
from curatedrl.datasets.ids import ENVS, SIZES, TIERS, all_ids, dataset_id, parse_id
from curatedrl.datasets.replay_run import replay_checkpoints
from curatedrl.datasets.suite import choose_policies, generate_env
from curatedrl.errors import CuratedRLError


@pytest.mark.parametrize("env_key,tier", [("hopper", "medium"), ("halfcheetah", "medium-replay")])
def test_regenerated_tiny_dataset_matches_the_manifest(env_key, tier):
    did = dataset_id(env_key, tier, "tiny")
    want = manifest.expected(did)
    assert want is not None, f"{did} is missing from datasets/manifest.json"
    generate_env(env_key, size="tiny", tiers=(tier,), force=True, progress=False, strict=True)
    ds = load(did)
    assert ds.content_hash == want["content_hash"]
    assert (ds.num_episodes, ds.num_steps) == (want["episodes"], want["steps"])
    assert ds.metadata.ref_max_score == pytest.approx(want["ref_max_score"], abs=1e-9)
    assert ds.metadata.extra["versions"] == manifest.load_manifest()["versions"]


def test_manifest_covers_every_env_tier_and_size_and_records_versions():
    data = manifest.load_manifest()
    assert set(data["datasets"]) == set(all_ids())
    assert {"mujoco", "gymnasium", "minari", "numpy", "h5py", "torch"} <= set(data["versions"])
    for did, entry in data["datasets"].items():
        assert entry["size"] == parse_id(did)[2]


def test_a_mismatch_is_one_line_with_id_hashes_and_versions(monkeypatch, capsys):
    did = dataset_id("hopper", "random", "tiny")
    generate_env("hopper", size="tiny", tiers=("random",), progress=False)
    monkeypatch.setattr(manifest, "expected_hash", lambda d, path=None: "0" * 16)
    msg = manifest.check(load(did))
    assert msg is not None and "\n" not in msg
    assert did in msg and "0" * 16 in msg and load(did).content_hash in msg and "mujoco" in msg
    code = main(["datasets", "generate", "--env", "hopper", "--size", "tiny", "--tier", "random",
                 "--strict"])
    assert code != 0 and did in capsys.readouterr().err
    code = main(["datasets", "generate", "--env", "hopper", "--size", "tiny", "--tier", "random"])
    assert code == 0  # already stored and not strict: nothing is checked


def test_rewriting_the_manifest_keeps_the_hashes_it_replaces(tmp_path):
    """A new generator's bytes: the old content hash moves to earlier_hashes (once, in order),
    so runs trained on it still count as runs on that dataset."""
    did = dataset_id("hopper", "random", "tiny")
    generate_env("hopper", size="tiny", tiers=("random",), progress=False)
    path = tmp_path / "manifest.json"
    manifest.write_manifest([did], path)
    now = manifest.expected_hash(did, path)
    assert manifest.earlier_hashes(did, path) == []
    data = json.loads(path.read_text())
    data["datasets"][did].update(content_hash="a" * 16, earlier_hashes=["b" * 16, now])
    path.write_text(json.dumps(data))
    manifest.load_manifest.cache_clear()
    manifest.write_manifest([did], path)
    assert manifest.expected_hash(did, path) == now
    assert manifest.earlier_hashes(did, path) == ["b" * 16, "a" * 16]
    manifest.write_manifest([did], path)  # same bytes again: nothing moves
    assert manifest.earlier_hashes(did, path) == ["b" * 16, "a" * 16]


def test_sizes_have_their_own_ids(capsys):
    ids = all_ids()
    assert len(ids) == len(set(ids)) == len(ENVS) * len(TIERS) * len(SIZES)
    for env_key in ENVS:
        for tier in TIERS:
            for size in SIZES:
                assert parse_id(dataset_id(env_key, tier, size)) == (env_key, tier, size)
    assert dataset_id("hopper", "medium") == "curatedrl/hopper/medium-v0"
    assert dataset_id("hopper", "medium", "small") == "curatedrl/hopper/medium-small-v0"
    generate_env("hopper", size="tiny", tiers=("random",), progress=False)
    assert main(["datasets", "list"]) == 0
    listing = capsys.readouterr().out
    assert "curatedrl/hopper/random-tiny-v0" in listing and "size tiny" in listing
    assert main(["datasets", "show", "curatedrl/hopper/random-tiny-v0"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["size", "tiny"] in rows


def test_missing_suite_id_points_to_generate_not_download():
    with pytest.raises(CuratedRLError) as err:
        load("curatedrl/walker2d/medium-expert-small-v0")
    text = str(err.value)
    assert "curatedrl datasets generate --env walker2d --tier medium-expert --size small" in text
    assert "minari download" not in text
    with pytest.raises(CuratedRLError, match="minari download"):
        load("someone/else-v0")


def test_medium_replay_is_d4rl_sized():
    """Full medium-replay: >= 200 episodes, >= 100k steps, >= 20 unique curated episodes."""
    for env_key in ENVS:
        entry = manifest.expected(dataset_id(env_key, "medium-replay"))
        assert entry["episodes"] >= 200 and entry["steps"] >= 100_000, env_key
        assert entry["strata_unique_episodes"] >= 20, env_key
    # halfcheetah's stream is its dedicated run, up to the medium checkpoint's return
    card = json.loads((choose_policies("halfcheetah").medium.parent / "replay" / "card.json")
                      .read_text())
    assert card["checkpoints"][card["reached"]]["return_mean"] >= card["target_return"]
    assert choose_policies("halfcheetah").replay == replay_checkpoints("halfcheetah")
    assert sum(span for _, span in replay_checkpoints("halfcheetah")) >= 200_000
    assert "versions" in card["training"] and "mujoco" in card["training"]["versions"]
