"""Seeds trained stacked in one process (``train --seeds``, ``sweep --seeds-per-process``) write
what separate single-seed runs write: the same config.yaml, the same final.json fields, and the
same numbers up to the tolerance of tests/test_stacked.py; they resume per seed; bad input is
refused in one line with nothing written."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from curatedrl.algos import ALGOS
from curatedrl.algos.stacked import stack
from curatedrl.run.records import runrecord
from curatedrl.run.records.rundir import read_yaml
from curatedrl.benchmarks.sweeps.sweep import Cell, expand, sweep
from curatedrl.run.loop.train import train
from curatedrl.run.loop.train_stacked import train_seeds
from curatedrl.datasets import to_device
from curatedrl.errors import CuratedRLError

from tests.test_stacked import METRIC_TOL, PARAM_TOL, _dataset

TINY = {"steps": 6, "eval_every": 3, "eval_episodes": 2, "final_eval_episodes": 2,
        "batch_size": 8, "hidden_dim": 32, "checkpoint_every": 3}
SCORE_TOL = {"rel": PARAM_TOL["rtol"], "abs": PARAM_TOL["atol"]}
SCORES = ("normalized_score_last", "normalized_score_last_std", "normalized_score_best",
          "return_last")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f))


def _assert_same_run(stacked: Path, single: Path) -> None:
    """Same files, same config.yaml, same final.json fields and numbers (up to tolerance)."""
    assert {p.name for p in stacked.iterdir()} == {p.name for p in single.iterdir()}
    assert read_yaml(stacked / "config.yaml") == read_yaml(single / "config.yaml")
    a, b = (json.loads((d / "final.json").read_text()) for d in (stacked, single))
    assert a.pop("stacked_seeds") and set(a) == set(b)
    for key in SCORES:
        assert a[key] == pytest.approx(b[key], **SCORE_TOL), key
    for key in ("status", "seed", "steps", "dataset_hash", "final_eval_episodes"):
        assert a[key] == b[key], key
    for name, skip in (("eval.csv", "time_s"), ("metrics.csv", "time/elapsed_s")):
        rows_a, rows_b = _rows(stacked / name), _rows(single / name)
        assert len(rows_a) == len(rows_b) and rows_a[0].keys() == rows_b[0].keys(), name
        for ra, rb in zip(rows_a, rows_b):
            for key in ra.keys() - {skip}:
                assert float(ra[key]) == pytest.approx(float(rb[key]), **SCORE_TOL), \
                    f"{name} step {ra['step']} {key}"


@pytest.mark.parametrize("algo", ["td3_bc", "iql"])
def test_stacked_seeds_write_what_separate_runs_write(algo, hopper_random_id, tmp_path):
    finals = train_seeds(algo, hopper_random_id, [0, 1], TINY, tmp_path / "stacked",
                         progress=False)
    assert [f["seed"] for f in finals] == [0, 1]
    for seed in (0, 1):
        train(algo, hopper_random_id, seed, TINY, tmp_path / "single" / f"seed{seed}",
              progress=False)
        _assert_same_run(tmp_path / "stacked" / f"seed{seed}",
                         tmp_path / "single" / f"seed{seed}")


def test_each_seed_resumes_from_its_own_checkpoint(hopper_random_id, tmp_path, monkeypatch):
    """Killed after step 3: seed 0 resumes from its resume.pt, seed 1 (its directory lost)
    starts over in a stack of its own; both end as their separate runs."""
    saved = runrecord.RunRecord.checkpoint

    def killed_after_step_3(self, step, *args):
        saved(self, step, *args)
        if step == 3 and self.cfg.seed == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", killed_after_step_3)
    with pytest.raises(KeyboardInterrupt, match="step 3 of 6"):
        train_seeds("td3_bc", hopper_random_id, [0, 1], TINY, tmp_path / "stacked",
                    progress=False)
    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", saved)
    assert (tmp_path / "stacked" / "seed0" / "resume.pt").exists()
    for f in (tmp_path / "stacked" / "seed1").iterdir():
        f.unlink()
    finals = train_seeds("td3_bc", hopper_random_id, [0, 1], TINY, tmp_path / "stacked",
                         progress=False)
    assert finals[0]["resumed_at_steps"] == [3] and "resumed_at_steps" not in finals[1]
    for seed in (0, 1):
        train("td3_bc", hopper_random_id, seed, TINY, tmp_path / "single" / f"seed{seed}",
              progress=False)
        final = json.loads((tmp_path / "stacked" / f"seed{seed}" / "final.json").read_text())
        single = json.loads((tmp_path / "single" / f"seed{seed}" / "final.json").read_text())
        for key in SCORES:
            assert final[key] == pytest.approx(single[key], **SCORE_TOL), (seed, key)


def test_load_restacks_exported_seeds_exactly():
    """``StackedSeeds.load`` (resume, or a stack rebuilt without a failed seed) is the inverse
    of ``export``: the rebuilt stack takes the same next steps as the one it came from."""
    ds = _dataset()
    cfg = ALGOS["td3_bc"].config_cls(hidden_dim=32, batch_size=16, policy_delay=2)
    first = stack("td3_bc", cfg, [0, 3], 3, 2)
    first.prepare(ds)
    buf = to_device(ds, "cpu")
    for _ in range(3):
        first.update(first.sample(buf))
    states = [a.state_dict() for a in first.export()]
    again = stack("td3_bc", cfg, [0, 3], 3, 2)
    again.prepare(ds)
    again.load(states)
    for g, h in zip(again.data_generators, first.data_generators):
        g.set_state(h.get_state())
    for _ in range(2):
        m1, m2 = first.update(first.sample(buf)), again.update(again.sample(buf))
        for key in m1:
            torch.testing.assert_close(m2[key], m1[key], **METRIC_TOL, msg=key)


def test_sweep_stacks_the_seeds_of_a_cell_and_skips_them_after(hopper_random_id, tmp_path):
    schedule = {"name": "tiny", "common": TINY, "per_algo": {}}
    cells = expand("baselines", 2, ["td3_bc"], [hopper_random_id])
    out = sweep(cells, schedule, tmp_path / "runs", tmp_path / "results", progress=False,
                seeds_per_process=2)
    assert len(out["finished"]) == 2 and not out["failed"]
    logs = list((tmp_path / "runs" / "tiny" / "minari" / "td3_bc").glob("*/train-seeds0-1.log"))
    assert len(logs) == 1 and "--seeds 0,1" in logs[0].read_text()
    for c in cells:
        exported = tmp_path / "results" / "tiny" / "minari" / c.name
        final = json.loads((exported / "final.json").read_text())
        assert final["status"] == "finished" and final["stacked_seeds"] == [0, 1]
    again = sweep(cells, schedule, tmp_path / "runs", tmp_path / "results", progress=False)
    assert len(again["skipped"]) == 2 and not again["finished"]  # the same cells, one by one
    fresh = sweep(cells, schedule, tmp_path / "runs-b", tmp_path / "results", progress=False,
                  seeds_per_process=1, skip_exported=True)
    assert len(fresh["exported"]) == 2 and not fresh["finished"]


@pytest.mark.parametrize("algos, seeds, n, match", [
    (["td3_bc"], 2, 0, "must be >= 1"),
    (["td3_bc"], 2, 3, "more than the 2 seed"),
    (["td3_bc", "iw_bc"], 2, 2, "iw_bc cannot"),
    (["bc"], 2, 2, "bc cannot"),  # bc at level episode, its default
])
def test_sweep_refuses_bad_seeds_per_process_in_one_line(algos, seeds, n, match, tmp_path):
    schedule = {"name": "tiny", "common": {"steps": 6}, "per_algo": {}}
    cells = [Cell(a, "curatedrl/hopper/medium-replay-v0", s) for a in algos
             for s in range(seeds)]
    with pytest.raises(CuratedRLError, match=match) as err:
        sweep(cells, schedule, tmp_path / "runs", tmp_path / "results", progress=False,
              seeds_per_process=n)
    assert "\n" not in str(err.value)
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_train_seeds_refuses_an_algorithm_that_cannot_stack(hopper_random_id, tmp_path):
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "curatedrl.cli", "train", "--algo", "filtered_bc",
           "--dataset", hopper_random_id, "--seeds", "0,1", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "cannot train stacked seeds" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not out.exists()
    for bad, match in (("0,x", "comma-separated integers"), ("1,1", "distinct")):
        res = subprocess.run(cmd[:-4] + ["--seeds", bad, "--out", str(out)], capture_output=True,
                             text=True, timeout=120)
        assert res.returncode == 2 and match in res.stderr and not out.exists()


def test_a_seed_with_a_nonfinite_metric_fails_alone(hopper_random_id, tmp_path, monkeypatch):
    """Seed 1 turns non-finite at step 4: it is marked failed as a single run would be (last
    good resume.pt kept); seed 0 goes on in a stack of its own and ends as its separate run."""
    from curatedrl.algos.stacked import StackedSeeds

    update, calls = StackedSeeds.update, []

    def poisoned(self, batch):
        m = update(self, batch)
        calls.append(self.n)
        if len(calls) == 4:
            key = next(iter(m))
            m[key] = m[key].clone()
            m[key][self.seeds.index(1)] = float("nan")
        return m

    monkeypatch.setattr(StackedSeeds, "update", poisoned)
    with pytest.raises(CuratedRLError, match="1 of 2 stacked seeds failed: non-finite "
                                             "training metric at step 4") as err:
        train_seeds("td3_bc", hopper_random_id, [0, 1], TINY, tmp_path / "stacked",
                    progress=False)
    assert "\n" not in str(err.value) and calls == [2, 2, 2, 2, 1, 1]
    failed = json.loads((tmp_path / "stacked" / "seed1" / "final.json").read_text())
    assert failed["status"] == "failed" and failed["failed_step"] == 4
    assert failed["last_checkpoint_step"] == 3
    assert (tmp_path / "stacked" / "seed1" / "resume.pt").exists()
    train("td3_bc", hopper_random_id, 0, TINY, tmp_path / "single" / "seed0", progress=False)
    _assert_same_run(tmp_path / "stacked" / "seed0", tmp_path / "single" / "seed0")
