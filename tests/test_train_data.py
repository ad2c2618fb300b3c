"""`curatedrl train` on data the suite does not make: a renamed D4RL file (--env) and a dataset
without reference scores (null normalised scores in a strict-JSON final.json)."""

import json

import numpy as np
import pytest
import yaml

from curatedrl.cli import main
from curatedrl.errors import CuratedRLError

FAST = ["--algo", "bc", "--steps", "3", "--batch-size", "4", "--eval-every", "0",
        "--final-eval-episodes", "2", "--threads", "1"]


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def write_renamed_d4rl(path, n=60, obs_dim=11, act_dim=3):
    """A hopper-shaped D4RL-format file whose name does not say the env."""
    import h5py

    rng = np.random.default_rng(0)
    timeouts = np.zeros(n, bool)
    timeouts[19::20] = True
    with h5py.File(path, "w") as f:
        f.create_dataset("observations", data=rng.normal(size=(n, obs_dim)).astype(np.float32))
        f.create_dataset("actions", data=rng.uniform(-1, 1, (n, act_dim)).astype(np.float32))
        f.create_dataset("rewards", data=rng.uniform(0, 1, n).astype(np.float32))
        f.create_dataset("terminals", data=np.zeros(n, bool))
        f.create_dataset("timeouts", data=timeouts)


def test_train_env_names_a_renamed_d4rl_file(tmp_path, capsys):
    path = tmp_path / "myfile.hdf5"
    write_renamed_d4rl(path)
    out = tmp_path / "run"
    assert main(["train", "--dataset", str(path), "--out", str(out), *FAST]) != 0
    assert "--env" in capsys.readouterr().err and not out.exists()
    assert main(["train", "--dataset", str(path), "--env", "hopper", "--out", str(out),
                 *FAST]) == 0
    final = _strict((out / "final.json").read_text())
    assert final["status"] == "finished" and final["normalized_score_last"] is not None
    assert yaml.safe_load((out / "config.yaml").read_text())["env"] == "hopper"
    # --set env=... is the same option
    out2 = tmp_path / "run2"
    assert main(["train", "--dataset", str(path), "--set", "env=hopper", "--out", str(out2),
                 *FAST]) == 0
    assert _strict((out2 / "final.json").read_text())["dataset_hash"] == final["dataset_hash"]
    with pytest.raises(CuratedRLError, match="unknown D4RL env"):
        from curatedrl.run.loop.train import train

        train("bc", str(path), 0, {"steps": 1}, tmp_path / "run3", progress=False, env="ant2")


def test_dataset_without_reference_scores_gives_null_scores(tmp_path, capsys):
    from curatedrl.datasets.generate import UniformRandomPolicy, generate_dataset

    did = "test/hopper/noref-v0"
    generate_dataset(did, "Hopper-v5", UniformRandomPolicy.for_env("Hopper-v5", seed=3), 6,
                     seed=7)
    out = tmp_path / "run"
    assert main(["train", "--dataset", did, "--out", str(out), *FAST]) == 0
    assert "no reference scores" in capsys.readouterr().out
    final = _strict((out / "final.json").read_text())
    assert final["normalized_score_last"] is None and final["normalized_score_best"] is None
    assert np.isfinite(final["return_last"])
