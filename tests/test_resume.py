"""Killed runs resume to the same results; same seed, same metrics; non-finite losses fail."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from curatedrl.algos.bc import BC
from curatedrl.run.records.rundir import read_csv
from curatedrl.run.loop.train import train
from curatedrl.errors import CuratedRLError

SCORES = ("normalized_score_last", "normalized_score_last_std", "normalized_score_best",
          "return_last", "steps", "seed", "dataset_hash", "status")
STEPS = 200
SETTINGS = {"steps": STEPS, "batch_size": 4, "eval_every": 100, "eval_episodes": 2,
            "final_eval_episodes": 3, "ref_steps": 20, "ref_batch_size": 4, "warmup_steps": 50,
            "checkpoint_every": 20, "deterministic": True}


def without_time(rows):
    """Rows minus wall-clock columns (time/elapsed_s, time_s): the only ones allowed to differ."""
    return [{k: v for k, v in r.items() if not k.startswith("time")} for r in rows]


def cli_train(out, dataset, store):
    """``python -m curatedrl.cli train ...`` with SETTINGS, in a subprocess."""
    sets = [a for k, v in SETTINGS.items() for a in ("--set", f"{k}={str(v).lower()}")]
    cmd = [sys.executable, "-m", "curatedrl.cli", "train", "--algo", "iw_bc", "--dataset",
           dataset, "--out", str(out), "--seed", "1", *sets]
    env = {**os.environ, "MINARI_DATASETS_PATH": store, "OMP_NUM_THREADS": "1",
           "WANDB_MODE": "disabled"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_sigkilled_run_resumes_to_the_uninterrupted_results(hopper_random_id, minari_store,
                                                            tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    victim = cli_train(killed, hopper_random_id, minari_store)
    a = train("iw_bc", hopper_random_id, 1, SETTINGS, whole, progress=False)  # meanwhile
    while victim.poll() is None and not (killed / "resume.pt").exists():
        time.sleep(0.001)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL, victim.communicate()
    assert not (killed / "final.json").exists()
    at = torch.load(killed / "resume.pt", weights_only=True)["step"]
    assert 0 < at < STEPS

    resumed = cli_train(killed, hopper_random_id, minari_store)  # the same command again
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    b = json.loads((killed / "final.json").read_text())
    assert {k: a[k] for k in SCORES} == {k: b[k] for k in SCORES}
    assert b["resumed_at_steps"] == [at] and "resumed_at_steps" not in a
    for name in ("metrics.csv", "eval.csv"):
        rows_a, rows_b = read_csv(whole / name), read_csv(killed / name)
        assert without_time(rows_a) == without_time(rows_b), name
    assert len(read_csv(killed / "metrics.csv")) == STEPS // 10
    assert not (killed / "resume.pt").exists()  # a finished run keeps only checkpoint.pt
    assert torch.load(killed / "checkpoint.pt", weights_only=True).keys() == \
        torch.load(whole / "checkpoint.pt", weights_only=True).keys()


FAST = {"steps": 40, "batch_size": 4, "eval_every": 20, "eval_episodes": 2,
        "final_eval_episodes": 2, "checkpoint_every": 10}


@pytest.mark.parametrize("algo,extra", [("bc", {}), ("td3_bc", {}),
                                        ("iw_bc", {"ref_steps": 5, "ref_batch_size": 4,
                                                   "warmup_steps": 5})])
def test_same_seed_gives_identical_metrics(algo, extra, hopper_random_id, tmp_path):
    runs = [train(algo, hopper_random_id, 2, {**FAST, **extra}, tmp_path / f"r{i}",
                  progress=False) for i in range(2)]
    assert runs[0]["normalized_score_last"] == runs[1]["normalized_score_last"]
    for name in ("metrics.csv", "eval.csv"):
        a, b = (read_csv(tmp_path / f"r{i}" / name) for i in range(2))
        assert without_time(a) == without_time(b)
    train(algo, hopper_random_id, 3, {**FAST, **extra}, tmp_path / "seed3", progress=False)
    assert without_time(read_csv(tmp_path / "seed3" / "metrics.csv")) != \
        without_time(read_csv(tmp_path / "r0" / "metrics.csv"))


ORIGINAL_UPDATE = BC.update


def nan_after(step):
    def update(self, batch):
        out = ORIGINAL_UPDATE(self, batch)
        if self.num_updates >= step:
            out["loss"] = float("nan")
        return out
    return update


def test_non_finite_loss_fails_the_run_and_keeps_the_last_checkpoint(hopper_random_id,
                                                                     tmp_path, monkeypatch):
    monkeypatch.setattr(BC, "update", nan_after(27))
    run = tmp_path / "nan"
    with pytest.raises(CuratedRLError) as err:
        train("bc", hopper_random_id, 0, FAST, run, progress=False)
    msg = str(err.value)
    assert "non-finite training metric at step 27: train/loss = nan" in msg
    assert "keeps the last good state (step 20)" in msg
    final = json.loads((run / "final.json").read_text())
    assert final["status"] == "failed" and final["error"] == msg.replace(
        f"; run marked failed in {run / 'final.json'}", "")  # no path in the record
    assert final["failed_step"] == 27 and final["last_checkpoint_step"] == 20
    assert "normalized_score_last" not in final
    assert torch.load(run / "resume.pt", weights_only=True)["step"] == 20
    assert [int(r["step"]) for r in read_csv(run / "metrics.csv")] == [10, 20]

    # the same command again resumes from step 20; the failure record is kept beside it
    monkeypatch.setattr(BC, "update", nan_after(10**9))
    done = train("bc", hopper_random_id, 0, FAST, run, progress=False)
    assert done["status"] == "finished" and done["resumed_at_steps"] == [20]
    assert json.loads((run / "failed-step27.json").read_text())["error"] == final["error"]
    clean = train("bc", hopper_random_id, 0, FAST, tmp_path / "clean", progress=False)
    assert clean["normalized_score_last"] == done["normalized_score_last"]
    assert without_time(read_csv(run / "metrics.csv")) == \
        without_time(read_csv(tmp_path / "clean" / "metrics.csv"))


def test_non_finite_before_any_checkpoint_starts_over(hopper_random_id, tmp_path, monkeypatch):
    monkeypatch.setattr(BC, "update", nan_after(3))
    with pytest.raises(CuratedRLError, match="no checkpoint was written before it"):
        train("bc", hopper_random_id, 0, FAST, tmp_path / "r", progress=False)
    assert json.loads((tmp_path / "r" / "final.json").read_text())["last_checkpoint_step"] is None


def test_resuming_with_another_config_is_refused_naming_the_keys(hopper_random_id, tmp_path):
    run = tmp_path / "r"
    train("bc", hopper_random_id, 0, FAST, run, progress=False)
    (run / "final.json").unlink()  # as if killed before the end
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    with pytest.raises(CuratedRLError, match=r"another config \(lr: 0.001 -> 0.01\)"):
        train("bc", hopper_random_id, 0, {**FAST, "lr": 0.01}, run, progress=False)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
