"""`curatedrl sweep`: configs resolve for every cell, finished cells are skipped after a kill,
failed cells are isolated, W&B groups, and the Ray backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.variants import check_variant
from curatedrl.benchmarks.suites.cell_config import CONFIG_DIR, cell_overrides, load_schedule, \
    load_suites, schedule_names
from curatedrl.benchmarks.sweeps.launch import cell_status
from curatedrl.benchmarks.sweeps.sweep import Cell, expand, sweep
from curatedrl.errors import CuratedRLError

from tests.wandb_records import history, run_group

TINY = {"common": {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1,
                   "batch_size": 4}, "per_algo": {}}


def test_every_config_resolves_for_every_cell_of_every_schedule():
    suites = load_suites()
    assert set(suites["all"]["algos"]) == set(ALGOS), "suite `all` must hold the whole registry"
    for name in schedule_names():
        schedule = load_schedule(name)
        assert set(schedule["per_algo"]) <= set(ALGOS), name
        for cell in expand("all", 1, schedule=schedule):  # with the schedule's variants
            cfg = config_from_dict(ALGOS[cell.algo].config_cls,
                                   cell_overrides(cell.algo, cell.dataset, schedule,
                                                  variant=cell.variant))
            assert cfg.dataset  # unknown keys or bad values would have raised
            if cell.variant is not None:
                check_variant(cell.variant, cfg)
    for path in CONFIG_DIR.glob("*/*.yaml"):
        if path.parent.name != "schedules":
            assert path.parent.name in ALGOS, f"{path}: not a registered algorithm"


def test_per_dataset_overrides_reach_the_cell():
    cfg = cell_overrides("rebrac", "curatedrl/hopper/medium-replay-v0", load_schedule("cpu"),
                         {"eval_episodes": 3})
    assert cfg["beta_actor"] == 0.05 and cfg["beta_critic"] == 0.5  # the recipe's values
    assert cfg["steps"] == 3000 and cfg["eval_episodes"] == 3  # schedule, then --set


def test_unknown_suite_schedule_and_algo_are_refused():
    with pytest.raises(CuratedRLError, match="unknown suite 'papr'"):
        expand("papr", 1)
    with pytest.raises(CuratedRLError, match="unknown schedule 'gpu9'"):
        load_schedule("gpu9")
    with pytest.raises(CuratedRLError, match="did you mean 'iw_bc'"):
        expand("paper", 1, algos=["iw_bcc"])


def test_sweep_seeds_as_a_count_a_list_or_a_range():
    import argparse
    from curatedrl.cli import seed_spec

    assert seed_spec("3") == 3 and seed_spec("9,8,7") == [9, 8, 7] and seed_spec("5-7") == [5, 6, 7]
    for bad in ("7-5", "a", "1,x"):
        with pytest.raises(argparse.ArgumentTypeError, match="not N, a list"):
            seed_spec(bad)
    cells = expand("paper", [9, 8, 9], algos=["iw_bc"], datasets=["curatedrl/hopper/medium-v0"])
    assert [c.seed for c in cells] == [9, 8]  # in the order given, each once
    with pytest.raises(CuratedRLError, match="seeds must be >= 0"):
        expand("paper", [3, -1], algos=["iw_bc"])


def _sweep_cmd(dataset: str, root: Path, results: Path, schedule: Path) -> list[str]:
    return [sys.executable, "-m", "curatedrl.cli", "sweep", "--suite", "paper", "--algo", "bc",
            "--dataset", dataset, "--seeds", "3", "--schedule", str(schedule), "--root",
            str(root), "--results", str(results)]


def test_killed_sweep_restarted_runs_only_unfinished_cells(hopper_random_id, tmp_path):
    schedule = tmp_path / "tiny.yaml"
    schedule.write_text(json.dumps(TINY))
    root, results = tmp_path / "runs", tmp_path / "results"
    cmd = _sweep_cmd(hopper_random_id, root, results, schedule)
    env = {**os.environ, "TQDM_DISABLE": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    deadline = time.time() + 120
    while not list(results.glob("*/*/*/*/seed*/final.json")) and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its running cell, mid-way
    proc.wait()
    done = sorted(results.glob("*/*/*/*/seed*/final.json"))
    assert 1 <= len(done) < 3, "the kill should land after the first cell and before the last"
    before = {p: p.read_bytes() for p in done}

    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(done)} already finished, {3 - len(done)} to run" in out.stdout
    assert len(list(results.glob("*/*/*/*/seed*/final.json"))) == 3
    assert all(p.read_bytes() == b for p, b in before.items()), "a finished cell was rerun"
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert "3 already finished, 0 to run" in again.stdout


def test_skip_exported_and_dry_run_go_on_from_the_results_tree_of_a_fresh_machine(
        hopper_random_id, tmp_path):
    schedule = {**TINY, "name": "tiny"}
    results = tmp_path / "results"
    first = sweep([Cell("bc", hopper_random_id, 0)], schedule, tmp_path / "runs-a", results,
                  progress=False)
    assert len(first["finished"]) == 1
    seed0 = results / "tiny" / "minari" / Cell("bc", hopper_random_id, 0).name  # test/...: minari
    before = {p.name: p.read_bytes() for p in seed0.iterdir()}
    seed1 = results / "tiny" / "minari" / Cell("bc", hopper_random_id, 1).name  # failed
    seed1.mkdir(parents=True)
    (seed1 / "final.json").write_text(json.dumps({"status": "failed"}))

    cells = [Cell("bc", hopper_random_id, s) for s in (0, 1)]
    with pytest.raises(CuratedRLError, match="drop --no-results"):
        sweep(cells, schedule, tmp_path / "runs-b", None, skip_exported=True)
    plan = sweep(cells, schedule, tmp_path / "runs-b", results, skip_exported=True, dry_run=True)
    assert [c.seed for c in plan["todo"]] == [1] and not (tmp_path / "runs-b").exists()
    out = sweep(cells, schedule, tmp_path / "runs-b", results, progress=False,
                skip_exported=True)  # a new run root: the run directories are elsewhere
    assert [c.seed for c in out["exported"]] == [0] and [c.seed for c in out["finished"]] == [1]
    assert not (tmp_path / "runs-b" / "tiny" / "minari" / cells[0].name).exists(), \
        "seed 0 was rerun"
    assert {p.name: p.read_bytes() for p in seed0.iterdir()} == before
    assert cell_status(seed1) == "finished"


def test_failed_cell_is_reported_others_finish_and_share_a_wandb_group(
        hopper_random_id, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    # a config error stops the sweep before any cell; a data-dependent one fails its cell only
    schedule = {**TINY, "name": "tiny", "per_algo": {"filtered_bc": {
        "filter": "min_return", "min_return": 1e6}}}
    cells = [Cell("bc", hopper_random_id, 0), Cell("filtered_bc", hopper_random_id, 0)]
    out = sweep(cells, schedule, tmp_path / "runs", tmp_path / "results", progress=False,
                wandb_group="sweep-test")
    assert [c.algo for c in out["finished"]] == ["bc"]
    assert [o["cell"].algo for o in out["failed"]] == ["filtered_bc"]
    assert "leaves zero episodes" in out["failed"][0]["error"]
    assert "FAILED filtered_bc/" in capsys.readouterr().out
    assert cell_status(tmp_path / "runs" / "tiny" / "minari" / cells[1].name) != "finished"
    assert not (tmp_path / "results" / "tiny" / "minari" / cells[1].name).exists()

    run_dir = tmp_path / "runs" / "tiny" / "minari" / cells[0].name
    wandb_file, = run_dir.glob("wandb/offline-run-*/run-*.wandb")
    assert run_group(wandb_file) == "sweep-test"
    rows = history(wandb_file)
    logged = [r["eval/normalized_mean"] for r in rows if "eval/normalized_mean" in r]
    final = json.loads((run_dir / "final.json").read_text())
    assert logged[-1] == pytest.approx(final["normalized_score_last"])
    assert any("train/loss" in r for r in rows)


def test_ray_backend_runs_two_cells(hopper_random_id, tmp_path):
    ray = pytest.importorskip("ray")
    schedule = {**TINY, "name": "tiny"}
    cells = [Cell("bc", hopper_random_id, 0), Cell("td3_bc", hopper_random_id, 0)]
    try:
        out = sweep(cells, schedule, tmp_path / "runs", tmp_path / "results", backend="ray",
                    workers=2, progress=False)
    finally:
        ray.shutdown()
    assert sorted(c.algo for c in out["finished"]) == ["bc", "td3_bc"] and not out["failed"]
    assert len(list((tmp_path / "results").glob("tiny/minari/*/*/seed0/final.json"))) == 2


def test_a_cell_trained_on_an_earlier_generation_of_its_data_is_rerun(
        hopper_random_id, tmp_path, monkeypatch):
    """A run on one of the manifest's earlier_hashes is not done (the leaderboard lists it
    apart): the sweep reruns it on the current bytes, saying why; any other hash is a changed
    cell too."""
    from curatedrl.datasets import manifest
    from curatedrl.benchmarks.sweeps.cells import cell_state
    from curatedrl.run.records.rundir import read_yaml

    cell = Cell("bc", hopper_random_id, 0)
    sweep([cell], {**TINY, "name": "tiny"}, tmp_path / "runs", None, progress=False)
    run = tmp_path / "runs" / "tiny" / "minari" / cell.name
    old = read_yaml(run / "config.yaml")
    now = {**old, "dataset_hash": "f" * 16}
    monkeypatch.setattr(manifest, "expected_hash", lambda d, path=None: "f" * 16)
    monkeypatch.setattr(manifest, "earlier_hashes", lambda d, path=None: [old["dataset_hash"]])
    state, why = cell_state(run, now)
    assert state == "changed" and "earlier generation" in why and "f" * 16 in why
    monkeypatch.setattr(manifest, "earlier_hashes", lambda d, path=None: [])
    state, why = cell_state(run, now)
    assert state == "changed" and "dataset_hash" in why
