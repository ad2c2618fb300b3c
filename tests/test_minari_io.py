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


def test_a_dataset_recorded_with_a_200_step_limit_is_evaluated_on_200_step_episodes():
    """Minari records the env's step limit in its spec; evaluation honours it, as Minari's own
    ``recover_environment(eval_env=True)`` does (HalfCheetah never terminates early)."""
    import dataclasses

    import gymnasium as gym
    from minari.data_collector import EpisodeBuffer

    from curatedrl.envs import evaluate

    did = "test/halfcheetah/limit200-v0"
    spec = dataclasses.replace(gym.spec("HalfCheetah-v5"), max_episode_steps=200)
    rec = run_episodes("HalfCheetah-v5", lambda obs: np.zeros((len(obs), 6)), 2, seed=3,
                       env_kwargs={"max_episode_steps": 200}, num_envs=2, record=True).steps
    buffers = [EpisodeBuffer(id=i, observations=np.concatenate(
        [ep["observations"], ep["next_observations"][-1:]]), actions=ep["actions"],
        rewards=ep["rewards"], terminations=ep["terminations"], truncations=ep["truncations"])
        for i, ep in enumerate(rec)]
    minari.create_dataset_from_buffers(did, buffers, env=spec, eval_env=spec,
                                       algorithm_name="zero", author="tests",
                                       author_email="tests@curatedrl.invalid",
                                       code_permalink="curatedrl", description="200-step limit",
                                       ref_min_score=0.0, ref_max_score=100.0)
    assert [len(ep["rewards"]) for ep in rec] == [200, 200]
    theirs = minari.load_dataset(did).recover_environment(eval_env=True)
    assert theirs.spec.max_episode_steps == 200
    theirs.close()
    meta = load(did).metadata
    res = evaluate(lambda obs: np.zeros((len(obs), 6)), meta, episodes=2, seed=0, num_envs=2)
    assert res.lengths.tolist() == [200, 200]  # not the env's registered 1000
    assert meta.max_episode_steps == 200
