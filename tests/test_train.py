"""`curatedrl train`: the run directory, reference caching, W&B offline files, bad input."""

import json

import pytest
import yaml

from curatedrl.run.records.rundir import read_csv
from curatedrl.run.loop.train import train
from curatedrl.cli import main
from curatedrl.errors import CuratedRLError

FAST = {"batch_size": 4, "ref_batch_size": 4, "ref_steps": 6, "warmup_steps": 2,
        "eval_every": 5, "eval_episodes": 2, "final_eval_episodes": 3, "steps": 10}


def test_run_directory_holds_every_file(hopper_random_id, tmp_path):
    final = train("iw_bc", hopper_random_id, seed=3, overrides=FAST, out=tmp_path / "run",
                  progress=False)
    run = tmp_path / "run"
    for name in ("config.yaml", "metrics.csv", "eval.csv", "final.json", "checkpoint.pt"):
        assert (run / name).exists(), name
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["algo"] == "iw_bc" and cfg["temperature"] == 10.0 and cfg["ref_steps"] == 6
    stored = json.loads((run / "final.json").read_text())
    for key in ("algo", "dataset", "dataset_hash", "seed", "normalized_score_last",
                "normalized_score_best", "return_last", "steps", "git_commit", "device",
                "wall_time_s", "hardware"):
        assert key in stored, key
    assert stored["seed"] == 3 and stored["steps"] == 10 and stored["dataset"] == hopper_random_id
    assert stored["normalized_score_best"] >= stored["normalized_score_last"]
    evals = read_csv(run / "eval.csv")
    assert [int(r["step"]) for r in evals] == [5, 10]
    assert [int(r["episodes"]) for r in evals] == [2, 3]
    metrics = read_csv(run / "metrics.csv")
    assert [int(r["step"]) for r in metrics] == [10]
    assert {"train/loss", "train/lr", "train/weight_ess"} <= set(metrics[0])
    assert final["run_dir"] == str(run)


def test_reference_is_reused_by_both_arms_and_not_when_stale(hopper_random_id, tmp_path):
    a = train("filtered_bc", hopper_random_id, 5, FAST, tmp_path / "a", progress=False)
    b = train("iw_bc", hopper_random_id, 5, FAST, tmp_path / "b", progress=False)
    assert b["reference_cached"] and a["reference_key"] == b["reference_key"]
    c = train("iw_bc", hopper_random_id, 5, {**FAST, "ref_steps": 7}, tmp_path / "c",
              progress=False)
    assert not c["reference_cached"] and c["reference_key"] != a["reference_key"]


def test_finished_run_is_never_overwritten(hopper_random_id, tmp_path):
    train("bc", hopper_random_id, 0, {"steps": 3, "batch_size": 4, "eval_every": 0,
                                      "final_eval_episodes": 2}, tmp_path / "r", progress=False)
    before = (tmp_path / "r" / "final.json").read_text()
    with pytest.raises(CuratedRLError, match="already holds a finished run with another "
                                             "config"):
        train("bc", hopper_random_id, 0, {"steps": 3}, tmp_path / "r", progress=False)
    assert (tmp_path / "r" / "final.json").read_text() == before


@pytest.mark.parametrize("args,message", [
    (["--algo", "iw-bc"], "unknown algorithm 'iw-bc'; did you mean 'iw_bc'?"),
    (["--algo", "bc", "--set", "lerning_rate=1"], "unknown config key 'lerning_rate'"),
    (["--algo", "bc", "--steps", "0"], "steps must be positive"),
    (["--algo", "iw_bc", "--set", "percentiles=[50,101]"], "percentiles must lie in"),
    (["--algo", "bc", "--set", "lr=0"], "lr must be positive"),
])
def test_bad_input_is_refused_before_anything_is_written(args, message, hopper_random_id,
                                                         tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["train", "--dataset", hopper_random_id, "--out", str(out), *args])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_wandb_offline_run_files(hopper_random_id, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    train("bc", hopper_random_id, 0, {"steps": 10, "batch_size": 4, "eval_every": 0,
                                      "final_eval_episodes": 2}, tmp_path / "w",
          use_wandb=True, progress=False)
    runs = list((tmp_path / "w" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and list(runs[0].glob("*.wandb"))


def test_train_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for option in ("--algo", "--dataset", "--seed", "--steps", "--out", "--set", "--wandb",
                   "--device", "--eval-every", "--eval-episodes", "--final-eval-episodes",
                   "--batch-size", "--wandb-group"):
        assert option in out
