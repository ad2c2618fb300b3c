"""D4RL-format HDF5 files written here with h5py: episode boundaries, metadata, bad files."""

import h5py
import numpy as np
import pytest

from curatedrl.datasets import load
from curatedrl.datasets.validate import check_dataset_env
from curatedrl.errors import CuratedRLError


def write_d4rl(path, terminals, timeouts, obs_dim=11, act_dim=3, drop=(), **overrides):
    n = len(terminals)
    rng = np.random.default_rng(0)
    arrays = {
        "observations": rng.normal(size=(n, obs_dim)).astype(np.float32),
        "actions": rng.uniform(-1, 1, size=(n, act_dim)).astype(np.float32),
        "rewards": np.arange(n, dtype=np.float32),
        "terminals": np.asarray(terminals, bool),
        "timeouts": np.asarray(timeouts, bool),
        **overrides,
    }
    with h5py.File(path, "w") as f:
        for k, v in arrays.items():
            if k not in drop:
                f.create_dataset(k, data=v)
    return arrays


def test_episodes_split_on_terminals_and_timeouts(tmp_path):
    #            0  1  2  3  4  5  6  7  8  9
    terminals = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    timeouts = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    path = tmp_path / "hopper-medium-v2.hdf5"
    arrays = write_d4rl(path, terminals, timeouts)
    ds = load(str(path))
    np.testing.assert_array_equal(ds.offsets, [0, 3, 6, 10])
    np.testing.assert_array_equal(ds.terminations, np.array(terminals, bool))
    # a timeout is a truncation; the last 4 steps ran out of data: truncated too
    np.testing.assert_array_equal(np.flatnonzero(ds.truncations), [5, 9])
    np.testing.assert_allclose(ds.returns, [0 + 1 + 2, 3 + 4 + 5, 6 + 7 + 8 + 9])
    obs = arrays["observations"]
    np.testing.assert_array_equal(ds.next_observations[0], obs[1])
    np.testing.assert_array_equal(ds.next_observations[2], obs[2])  # not recorded: repeated
    m = ds.metadata
    assert (m.source, m.eval_env_id) == ("d4rl", "Hopper-v4")
    assert (m.ref_min_score, m.ref_max_score) == (-20.272305, 3234.3)
    check_dataset_env(ds)


def test_next_observations_are_used_when_present(tmp_path):
    path = tmp_path / "walker2d-expert-v2.hdf5"
    nxt = np.full((4, 17), 7.0, np.float32)
    write_d4rl(path, [0, 1, 0, 1], [0, 0, 0, 0], obs_dim=17, act_dim=6, next_observations=nxt)
    ds = load(str(path))
    np.testing.assert_array_equal(ds.next_observations, nxt)
    assert ds.metadata.eval_env_id == "Walker2d-v4" and ds.truncations.sum() == 0


def test_ant_uses_contact_forces_and_env_can_be_named(tmp_path):
    path = tmp_path / "data.hdf5"
    write_d4rl(path, [0, 1], [0, 0], obs_dim=111, act_dim=8)
    with pytest.raises(CuratedRLError, match="cannot tell the environment"):
        load(str(path))
    ds = load(str(path), env="ant")
    assert ds.metadata.eval_env_kwargs == {"use_contact_forces": True}
    check_dataset_env(ds)


def test_missing_keys_are_named(tmp_path):
    path = tmp_path / "hopper-x.hdf5"
    write_d4rl(path, [0, 1], [0, 0], drop=("timeouts", "rewards"))
    with pytest.raises(CuratedRLError, match="lacks key\\(s\\) rewards, timeouts"):
        load(str(path))


@pytest.mark.parametrize("key", ["observations", "actions"])
def test_nan_and_inf_are_refused(tmp_path, key):
    path = tmp_path / "hopper-nan.hdf5"
    bad = np.zeros((5, 11 if key == "observations" else 3), np.float32)
    bad[3, 1] = np.nan if key == "observations" else np.inf
    write_d4rl(path, [0, 0, 0, 0, 1], [0] * 5, **{key: bad})
    with pytest.raises(CuratedRLError, match=f"{key} holds 1 NaN/inf value.*step 3"):
        load(str(path))


def test_observation_size_must_match_the_env(tmp_path):
    path = tmp_path / "halfcheetah-medium-v2.hdf5"
    write_d4rl(path, [0, 1], [0, 0], obs_dim=11, act_dim=6)
    ds = load(str(path))
    with pytest.raises(CuratedRLError, match="observation size 11 does not match.*HalfCheetah-v4"):
        check_dataset_env(ds)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "hopper-cut.hdf5"
    write_d4rl(path, [0] * 50 + [1], [0] * 51)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CuratedRLError, match="not a readable HDF5 file"):
        load(str(path))


def test_mismatched_lengths_are_refused(tmp_path):
    path = tmp_path / "hopper-len.hdf5"
    write_d4rl(path, [0, 0, 1], [0, 0, 0], rewards=np.zeros(2, np.float32))
    with pytest.raises(CuratedRLError, match="rewards 2"):
        load(str(path))
