"""Minari datasets: round trip through Minari's own writer, metadata, bad ids."""

import minari
import numpy as np
import pytest

from curatedrl.datasets import load, local_dataset_ids, write_minari
from curatedrl.datasets.minari_io import check_dataset_id
from curatedrl.errors import CuratedRLError
from curatedrl.envs.rollout import run_episodes


def test_round_trip_gives_the_same_arrays(minari_store):
    policy = lambda obs: np.tanh(obs[:, :3] * 0.5)
    rec = run_episodes("Hopper-v5", policy, 6, seed=7, num_envs=3, record=True).steps
    write_minari("test/hopper/roundtrip-v0", rec, "Hopper-v5", ref_min_score=1.0,
                 ref_max_score=2.0, algorithm_name="tanh", extra_metadata={"seed": 7})
    # Minari itself reads back what we wrote, with T + 1 observations per episode.
    mds = minari.load_dataset("test/hopper/roundtrip-v0")
    assert mds.total_episodes == 6
    first = next(iter(mds.iterate_episodes()))
    assert len(first.observations) == len(first.actions) + 1

    ds = load("test/hopper/roundtrip-v0")
    assert ds.num_episodes == 6
    for i, ep in enumerate(rec):
        got = ds.episode(i)
        for key in ("observations", "actions", "rewards", "terminations", "truncations",
                    "next_observations"):
            np.testing.assert_array_equal(got[key], ep[key], err_msg=key)
    np.testing.assert_allclose(ds.returns, [ep["rewards"].sum() for ep in rec], rtol=1e-6)
    m = ds.metadata
    assert (m.eval_env_id, m.obs_dim, m.act_dim) == ("Hopper-v5", 11, 3)
    assert (m.ref_min_score, m.ref_max_score) == (1.0, 2.0)
    assert m.extra["seed"] == 7 and m.extra["algorithm_name"] == "tanh"
    assert len(ds.content_hash) == 16


def test_content_hash_tracks_content(hopper_random_id):
    a, b = load(hopper_random_id), load(hopper_random_id)
    assert a.content_hash == b.content_hash
    b.rewards[0] += 1.0
    del b.content_hash
    assert a.content_hash != b.content_hash


def test_unknown_id_lists_local_ids_and_how_to_download(hopper_random_id):
    with pytest.raises(CuratedRLError) as err:
        load("nowhere/hopper/expert-v9")
    msg = str(err.value)
    assert "nowhere/hopper/expert-v9" in msg and hopper_random_id in msg
    assert "minari download nowhere/hopper/expert-v9" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("bad", ["hopper", "a//b-v0", "../secret-v0", "ns/../../etc-v0",
                                 "/abs/path-v0", "ns/name-vX", "ns/na me-v0", ""])
def test_malformed_ids_are_refused(bad):
    with pytest.raises(CuratedRLError, match="malformed dataset id"):
        check_dataset_id(bad)


def test_writing_an_existing_id_is_refused_and_keeps_the_data(hopper_random_id):
    before = load(hopper_random_id).content_hash
    with pytest.raises(CuratedRLError, match="already exists"):
        write_minari(hopper_random_id, [], "Hopper-v5")
    assert load(hopper_random_id).content_hash == before
    assert hopper_random_id in local_dataset_ids()
