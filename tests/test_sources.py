"""The suites on other data: D4RL HDF5 files and Minari's mujoco datasets (``--data``).

The files are made here in the real formats: a D4RL file with every key D4RL writes (episodes
ended by a terminal, by the 1000-step timeout, and a trailing partial one) and a Minari dataset
recorded with ``minari.DataCollector``. A sweep over each source exports under
``<results>/<schedule>/<source>/`` and the leaderboard shows that section."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from curatedrl.benchmarks.suites import sources
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule
from curatedrl.datasets.ids import canonical_name, dataset_slug
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.cli import main
from curatedrl.datasets import load
from curatedrl.errors import CuratedRLError

REPO = Path(__file__).resolve().parents[1]
TINY = {"common": {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1,
                   "batch_size": 4}, "per_algo": {}}
LENGTHS = (37, 1000, 25)  # ended by a terminal, by the timeout, cut by the end of the data


def write_d4rl(path: Path, seed: int = 0) -> Path:
    """A Hopper file in D4RL's v2 layout (as written by D4RL's data collection scripts)."""
    rng = np.random.default_rng(seed)
    n = sum(LENGTHS)
    obs = rng.normal(0, 0.5, (n + 1, 11)).astype(np.float32)
    terminals, timeouts = np.zeros(n, bool), np.zeros(n, bool)
    terminals[LENGTHS[0] - 1] = True
    timeouts[LENGTHS[0] + LENGTHS[1] - 1] = True
    with h5py.File(path, "w") as f:
        f["observations"] = obs[:-1]
        f["next_observations"] = obs[1:]
        f["actions"] = rng.uniform(-1, 1, (n, 3)).astype(np.float32)
        f["rewards"] = rng.uniform(0, 3, n).astype(np.float32)
        f["terminals"], f["timeouts"] = terminals, timeouts
        f["infos/qpos"] = rng.normal(size=(n, 6))
        f["infos/qvel"] = rng.normal(size=(n, 6))
        f["infos/action_log_probs"] = rng.normal(size=n).astype(np.float32)
        f["metadata/algorithm"] = np.bytes_("SAC")
        f["metadata/iteration"] = np.int64(1000)
        f["metadata/policy/fc0/weight"] = rng.normal(size=(256, 11)).astype(np.float32)
    return path


def test_a_d4rl_file_in_its_real_layout_loads_with_its_three_kinds_of_episode_end(tmp_path):
    ds = load(str(write_d4rl(tmp_path / "hopper-medium-v2.hdf5")))
    assert np.diff(ds.offsets).tolist() == list(LENGTHS)
    ends = ds.offsets[1:] - 1
    assert ds.terminations[ends].tolist() == [True, False, False]
    assert ds.truncations[ends].tolist() == [False, True, True]
    with h5py.File(tmp_path / "hopper-medium-v2.hdf5") as f:
        assert np.array_equal(ds.next_observations, f["next_observations"][:])
    assert ds.metadata.eval_env_id == "Hopper-v4" and ds.metadata.ref_max_score == 3234.3


def test_a_source_maps_cells_to_its_data_and_names_what_is_missing(tmp_path):
    write_d4rl(tmp_path / "hopper-medium-v2.hdf5")
    write_d4rl(tmp_path / "hopper_medium_replay-v2.hdf5")  # the name `d4rl` downloads it under
    got = sources.resolve("d4rl", "paper", None, str(tmp_path))
    assert got.datasets == [str(tmp_path / "hopper-medium-v2.hdf5"),
                            str(tmp_path / "hopper_medium_replay-v2.hdf5")]
    assert [c for c, _ in got.missing] == ["hopper-medium-expert", "halfcheetah-medium",
                                           "halfcheetah-medium-replay",
                                           "halfcheetah-medium-expert", "walker2d-medium",
                                           "walker2d-medium-replay", "walker2d-medium-expert"]
    with pytest.raises(CuratedRLError) as err:
        sources.check("d4rl", got, str(tmp_path), allow_missing=False)
    msg = str(err.value)
    assert "\n" not in msg and str(tmp_path) in msg and "walker2d-medium-expert-v2.hdf5" in msg
    assert "--allow-missing" in msg and "gym_mujoco_v2/hopper_medium_expert-v2.hdf5" in msg
    notes = sources.check("d4rl", got, str(tmp_path), allow_missing=True)
    assert "skipping hopper-medium-expert" in notes[0]
    # the same cell, the same per-dataset configs (ReBRAC's published beta for D4RL's file)
    assert dataset_slug(str(tmp_path / "hopper_medium_replay-v2.hdf5")) == "hopper-medium-replay"
    over = cell_overrides("rebrac", got.datasets[1], load_schedule("cpu"))
    assert (over["beta_actor"], over["beta_critic"]) == (0.05, 0.5)
    assert canonical_name(got.datasets[1]) == "hopper-medium-replay-v2.hdf5"
    # Minari: no medium-replay or medium-expert; those cells are left out, not failed
    mini = sources.resolve("minari", "paper", None, None)
    assert sorted(mini.absent) == sorted(["hopper-medium-replay", "hopper-medium-expert",
                                          "halfcheetah-medium-replay",
                                          "halfcheetah-medium-expert", "walker2d-medium-replay",
                                          "walker2d-medium-expert"])
    assert [f for _, (f,) in mini.missing] == ["mujoco/hopper/medium-v0",
                                               "mujoco/halfcheetah/medium-v0",
                                               "mujoco/walker2d/medium-v0"]
    # the default source keeps the suite's ids as they are
    assert sources.resolve("curatedrl", "paper").datasets[0] == "curatedrl/hopper/medium-v0"


def _as_committed(path: Path) -> dict:
    """The run's final.json as a clean checkout would have written it: the tree under test may
    hold uncommitted changes, whose runs the leaderboard lists apart instead of averaging."""
    final = json.loads(path.read_text())
    final["git_commit"] = final["git_commit"].removesuffix("-dirty")
    path.write_text(json.dumps(final))
    return final


def _sweep(tmp_path: Path, *args: str) -> int:
    schedule = tmp_path / "tiny.yaml"
    schedule.write_text(json.dumps(TINY))
    return main(["sweep", "--suite", "paper", "--algo", "bc", "--seeds", "1", "--schedule",
                 str(schedule), "--root", str(tmp_path / "runs"), "--results",
                 str(tmp_path / "results"), "--threads", "1", *args])


def test_a_d4rl_sweep_exports_under_its_source_and_its_section_shows_corl_beside_it(
        tmp_path, capsys):
    data = tmp_path / "d4rl"
    data.mkdir()
    write_d4rl(data / "hopper-medium-v2.hdf5")
    assert _sweep(tmp_path, "--data", "d4rl", "--data-dir", str(data)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "halfcheetah-medium-v2.hdf5" in err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()

    assert _sweep(tmp_path, "--data", "d4rl", "--data-dir", str(data), "--allow-missing") == 0
    assert "skipping hopper-medium-replay" in capsys.readouterr().out
    run = tmp_path / "results" / "tiny" / "d4rl" / "bc" / "hopper-medium" / "seed0"
    final = _as_committed(run / "final.json")
    assert final["status"] == "finished"
    assert final["dataset"] == "hopper-medium-v2.hdf5"  # its name, not the folder it lay in
    assert (tmp_path / "runs" / "tiny" / "d4rl" / "bc" / "hopper-medium" / "seed0").is_dir()

    text = build(tmp_path / "results", tmp_path / "LB.md", tmp_path / "plots", draw=False,
                 site=True)
    section = text.split("## Schedule `tiny`, data `d4rl`")[1]
    assert "D4RL's Gym-MuJoCo v2 HDF5 files" in section
    corl = section.split("### Published CORL scores next to these cells")[1].split("###")[0]
    assert "tinkoff-ai/CORL" in corl and "6afec90" in corl
    row = next(ln for ln in corl.splitlines() if ln.startswith("| hopper-medium |"))
    assert f"{final['normalized_score_last']:.1f} ± 0.0 (1) / 53.51 ± 1.76" in row
    assert "DATA=d4rl D4RL_DIR=" in section
    html = (tmp_path / "plots" / "index.html").read_text()
    assert "Published CORL scores next to these cells" in html and "53.51 ± 1.76" in html
    assert "--data d4rl --data-dir" in html  # the cell's reproduce command


def _record_minari(dataset_id: str, episodes: int = 4) -> None:
    import gymnasium as gym
    import minari

    env = minari.DataCollector(gym.make("Hopper-v5"), record_infos=False)
    env.action_space.seed(0)
    for ep in range(episodes):
        env.reset(seed=ep)
        done = False
        while not done:
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            done = term or trunc
    env.create_dataset(dataset_id, eval_env="Hopper-v5", algorithm_name="uniform random",
                       ref_min_score=-20.0, ref_max_score=3000.0, author="curatedrl tests",
                       author_email="tests@curatedrl.invalid", description="test data",
                       code_permalink="https://github.com/curatedrl/curatedrl")
    env.close()


def test_a_minari_sweep_runs_the_cells_present_and_its_section_appears(
        tmp_path, monkeypatch, capsys):
    pytest.importorskip("jax", reason="minari.DataCollector needs jax (the dev extra)")
    store = tmp_path / "minari"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(store))  # restored after the test
    _record_minari("mujoco/hopper/medium-v0")
    assert _sweep(tmp_path, "--data", "minari", "--data-dir", str(store)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "minari download mujoco/halfcheetah/medium-v0" in err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()

    assert _sweep(tmp_path, "--data", "minari", "--data-dir", str(store),
                  "--allow-missing") == 0
    out = capsys.readouterr().out
    assert "no hopper-medium-replay, hopper-medium-expert" in out
    run = tmp_path / "results" / "tiny" / "minari" / "bc" / "hopper-medium" / "seed0"
    assert _as_committed(run / "final.json")["dataset"] == "mujoco/hopper/medium-v0"
    text = build(tmp_path / "results", tmp_path / "LB.md", tmp_path / "plots", draw=False)
    section = text.split("## Schedule `tiny`, data `minari`")[1]
    assert "| hopper-medium | " in section and "Published CORL" not in section
    assert "DATA=minari" in section


def test_make_reproduce_on_a_d4rl_folder_missing_files_says_so_in_one_line(tmp_path):
    curatedrl = Path(sys.executable).parent / "curatedrl"
    if shutil.which("make") is None or not curatedrl.exists():
        pytest.skip("needs make and the installed `curatedrl` command")
    data = tmp_path / "d4rl"
    data.mkdir()
    write_d4rl(data / "hopper-medium-v2.hdf5")
    proc = subprocess.run(
        ["make", "-s", "reproduce", "SUITE=paper", "DATA=d4rl", f"D4RL_DIR={data}",
         "SCHEDULE=cpu", "STAMP=", f"BIN={curatedrl.parent}",
         f"ARGS=--root {tmp_path / 'runs'} --results {tmp_path / 'results'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    ours = [ln for ln in proc.stderr.splitlines() if not ln.startswith("make")]
    assert len(ours) == 1 and ours[0].startswith("curatedrl: error: data d4rl")
    assert f"--data-dir {data}" in ours[0] and "hopper-medium-replay-v2.hdf5" in ours[0]
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


# ---- a cell's data source comes from its data (issue 31) ------------------------------------

def _minari_from_hand(dataset_id: str, ref_max: float = 3000.0) -> str:
    """A small Hopper-v5 Minari dataset written with Minari's own writer (hand-made episodes)."""
    from tests.conftest import hand_dataset
    from curatedrl.datasets import write_minari

    ds = hand_dataset([10.0, 20.0, 30.0, 40.0], [5, 6, 7, 8], obs_dim=11, act_dim=3)
    write_minari(dataset_id, [ds.episode(i) for i in range(ds.num_episodes)], "Hopper-v5",
                 ref_min_score=-20.0, ref_max_score=ref_max)
    return dataset_id


def _files(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_d4rl_file_swept_without_data_lands_under_d4rl_and_a_contradiction_is_refused(
        tmp_path, capsys):
    data = tmp_path / "mine"
    data.mkdir()
    hdf5 = write_d4rl(data / "hopper-medium-v2.hdf5")
    assert _sweep(tmp_path, "--dataset", str(hdf5)) == 0  # no --data: the file decides
    results = tmp_path / "results" / "tiny"
    assert sorted(p.name for p in results.iterdir()) == ["d4rl"]
    assert (results / "d4rl" / "bc" / "hopper-medium" / "seed0" / "final.json").exists()
    assert (tmp_path / "runs" / "tiny" / "d4rl" / "bc" / "hopper-medium" / "seed0").is_dir()
    capsys.readouterr()
    before = _files(tmp_path / "results")
    for data_flag, spec, src in [("curatedrl", str(hdf5), "d4rl"),
                                 ("curatedrl", "mujoco/hopper/medium-v0", "minari"),
                                 ("minari", str(hdf5), "d4rl"),
                                 ("d4rl", "curatedrl/hopper/medium-v0", "curatedrl")]:
        assert _sweep(tmp_path, "--data", data_flag, "--dataset", spec) == 2, (data_flag, spec)
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and f"is {src} data" in err and \
            f"not {data_flag} data as --data {data_flag} says" in err, err
    # data of two sources in one sweep: refused, they go to different sections
    assert _sweep(tmp_path, "--dataset", str(hdf5), "--dataset", "curatedrl/hopper/medium-v0") \
        == 2
    assert "belong to 2 data sources" in capsys.readouterr().err
    assert _files(tmp_path / "results") == before and \
        not (tmp_path / "results" / "tiny" / "curatedrl").exists()


def test_the_leaderboard_lists_a_run_in_another_sources_folder_apart(tmp_path):
    from tests.leaderboard_runs import write_run

    r = tmp_path / "results"
    write_run(r, "bc", 0, 10.0)
    write_run(r, "bc", 1, 12.0)
    # what a sweep of a D4RL file without --data used to write into the project's section
    stray = write_run(r, "bc", 2, 90.0, dataset="/home/me/hopper-medium-v2.hdf5")
    other = write_run(r, "bc", 3, 80.0, dataset="mujoco/hopper/medium-v0", schedule="cpu")
    assert stray.parent == other.parent  # both in results/cpu/curatedrl/bc/hopper-medium/
    text = build(r, tmp_path / "LB.md", tmp_path / "plots", draw=False)
    last = text.split("### Last normalised score")[1].split("###")[0]
    header = next(ln for ln in last.splitlines() if ln.startswith("| dataset |"))
    col = [c.strip() for c in header.strip("|").split("|")].index("bc")
    rows = [ln for ln in last.splitlines() if ln.startswith("| hopper-medium |")]
    assert len(rows) == 1 and [c.strip() for c in rows[0].strip("|").split("|")][col] == \
        "11.0 ± 1.4 (2)"  # the project's two runs only, in one row
    assert "- 2 runs;" in text and "hopper-medium-v2" not in text.split("### Runs kept out")[0]
    listed = text.split("### Runs kept out of these tables")[1]
    assert "hopper-medium-v2.hdf5 is d4rl data" in listed and "/home/me" not in text
    assert "mujoco/hopper/medium-v0 is minari data" in listed
    assert "results/cpu/d4rl/" in listed


def test_d4rl_cells_are_keyed_by_name_and_bytes_not_by_where_the_file_lies(tmp_path, capsys):
    a, b = tmp_path / "machine-a", tmp_path / "machine-b"
    a.mkdir()
    b.mkdir()
    write_d4rl(a / "hopper-medium-v2.hdf5")
    assert _sweep(tmp_path, "--data", "d4rl", "--data-dir", str(a), "--allow-missing") == 0
    exported = tmp_path / "results" / "tiny" / "d4rl" / "bc" / "hopper-medium" / "seed0"
    final = json.loads((exported / "final.json").read_text())
    assert final["dataset"] == "hopper-medium-v2.hdf5"
    # what the scores mean: Gymnasium's -v4 env standing in for D4RL's -v2, D4RL's references
    assert (final["eval_env"], final["ref_min_score"], final["ref_max_score"]) == \
        ("Hopper-v4", -20.272305, 3234.3)
    about = " ".join(sources.source_spec("d4rl")["about"].split())
    assert "stand in for" in about and "mujoco-py" in about
    assert str(tmp_path) not in _files(tmp_path / "results")  # no user path in the results
    # the same bytes on another machine, under the name `d4rl` downloads it as
    shutil.copy(a / "hopper-medium-v2.hdf5", b / "hopper_medium-v2.hdf5")
    capsys.readouterr()
    results = tmp_path / "results"
    for root, done, exported in [(tmp_path / "runs", 1, 0),  # resumed on this machine's root
                                 (tmp_path / "fresh", 0, 1)]:  # a fresh clone of the results
        assert main(["sweep", "--suite", "paper", "--algo", "bc", "--seeds", "1", "--schedule",
                     str(tmp_path / "tiny.yaml"), "--root", str(root), "--results",
                     str(tmp_path / "results"), "--threads", "1", "--data", "d4rl",
                     "--data-dir", str(b), "--allow-missing", "--skip-exported",
                     "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert f"{done} already finished, {exported} already in {results}, 0 to run" in out, out
    # other bytes under the same name are another cell
    write_d4rl(b / "hopper_medium-v2.hdf5", seed=1)
    assert _sweep(tmp_path, "--data", "d4rl", "--data-dir", str(b), "--allow-missing",
                  "--skip-exported", "--dry-run") == 0
    assert "(changed: config changed: dataset_hash:" in capsys.readouterr().out


def test_trains_default_run_folders_keep_sources_apart_and_a_refusal_names_the_other_data(
        tmp_path, monkeypatch):
    from curatedrl.run.loop.train import train

    monkeypatch.chdir(tmp_path)
    hdf5 = str(write_d4rl(tmp_path / "hopper-medium-v2.hdf5"))
    mine = _minari_from_hand("test31/hopper/medium-v0")
    small = dict(TINY["common"])
    a = train("bc", hdf5, 0, small, progress=False)
    b = train("bc", mine, 0, small, progress=False)  # same slug, same algo, same seed
    assert Path(a["run_dir"]) == Path("runs/d4rl/bc/hopper-medium/seed0")
    assert Path(b["run_dir"]) == Path("runs/minari/bc/hopper-medium/seed0")
    with pytest.raises(CuratedRLError) as err:  # a folder that holds a run on other data
        train("bc", mine, 0, small, out=Path(a["run_dir"]), progress=False)
    msg = str(err.value)
    assert "\n" not in msg and "other data" in msg and "'hopper-medium-v2.hdf5'" in msg
    assert "test31/hopper/medium-v0" in msg


def test_final_json_records_what_scores_are_measured_against_and_the_cell_covers_it(
        tmp_path, capsys):
    import minari
    from curatedrl.benchmarks.sweeps.sweep import Cell, sweep

    did = _minari_from_hand("test31/hopper/refs-v0")
    cell = [Cell("bc", did, 0)]
    schedule = {**TINY, "name": "tiny"}
    sweep(cell, schedule, tmp_path / "runs", tmp_path / "results", progress=False, threads=1)
    exported = tmp_path / "results" / "tiny" / "minari" / cell[0].name
    final = json.loads((exported / "final.json").read_text())
    assert (final["eval_env"], final["eval_env_kwargs"]) == ("Hopper-v5", {})
    assert (final["ref_min_score"], final["ref_max_score"]) == (-20.0, 3000.0)
    config = (exported / "config.yaml").read_text()
    assert "eval_env: Hopper-v5" in config and "ref_max_score: 3000.0" in config
    # the same arrays with another reference return: the scores mean something else
    minari.load_dataset(did).storage.update_metadata({"ref_max_score": 3100.0})
    capsys.readouterr()
    plan = sweep(cell, schedule, tmp_path / "fresh", tmp_path / "results", threads=1,
                 skip_exported=True, dry_run=True)
    assert plan["todo"] == cell
    assert "ref_max_score: 3000.0 -> 3100.0" in capsys.readouterr().out


def test_results_written_before_the_evaluation_was_recorded_count_where_the_manifest_agrees(
        tmp_path, monkeypatch):
    """Committed results have no eval_env / reference scores in config.yaml: they stay finished
    where today's manifest gives the data's evaluation, and are another cell where it differs."""
    from curatedrl.datasets import manifest
    from curatedrl.benchmarks.sweeps.cells import cell_state, recorded_before
    from curatedrl.benchmarks.sweeps.sweep import Cell, sweep
    from curatedrl.run.records.rundir import read_yaml, write_yaml

    did = _minari_from_hand("test31/hopper/old-v0")
    sweep([Cell("bc", did, 0)], {**TINY, "name": "tiny"}, tmp_path / "runs", None,
          progress=False, threads=1)
    run = tmp_path / "runs" / "tiny" / "minari" / "bc" / "hopper-old" / "seed0"
    now = read_yaml(run / "config.yaml")
    write_yaml(run / "config.yaml", {k: v for k, v in now.items()
                                     if k not in ("eval_env", "eval_env_kwargs",
                                                  "ref_min_score", "ref_max_score")})
    evaluation = {k: now[k] for k in ("eval_env", "eval_env_kwargs", "ref_min_score",
                                      "ref_max_score")}
    # data the manifest does not hold: what its metadata says now
    assert cell_state(run, now, recorded_before(did, evaluation))[0] == "finished"
    # the project's data: the manifest's evaluation env and reference returns
    monkeypatch.setattr(manifest, "expected_evaluation", lambda d, path=None: evaluation)
    assert cell_state(run, now, recorded_before(did, evaluation))[0] == "finished"
    monkeypatch.setattr(manifest, "expected_evaluation",
                        lambda d, path=None: {**evaluation, "ref_max_score": 2900.0})
    state, why = cell_state(run, now, recorded_before(did, evaluation))
    assert state == "changed" and "ref_max_score: 2900.0 -> 3000.0" in why


@pytest.mark.parametrize("schedule, suite, seeds",
                         [("paper-sampled", "paper", 5), ("baselines-30k", "baselines", 3)])
def test_the_committed_results_are_still_recognised_by_a_skip_exported_sweep(
        tmp_path, schedule, suite, seeds):
    """Every committed cell on the manifest's current bytes counts as done (even where its
    config.yaml predates the recorded evaluation: the suite's data is compared by the manifest);
    every one on earlier bytes is to run again, and nothing else is."""
    from curatedrl.benchmarks.sweeps.sweep import expand, sweep
    from curatedrl.datasets.manifest import expected_hash

    committed = REPO / "results" / schedule / "curatedrl"
    cells = expand(suite, seeds)
    there = [c for c in cells if (committed / c.name / "final.json").exists()]
    if not there:
        pytest.skip(f"no committed {schedule} results")
    current = [c for c in there if json.loads((committed / c.name / "final.json").read_text())
               ["dataset_hash"] == expected_hash(c.dataset)]
    plan = sweep(cells, load_schedule(schedule), tmp_path / "runs", REPO / "results",
                 skip_exported=True, dry_run=True)
    assert sorted(c.name for c in plan["exported"]) == sorted(c.name for c in current)
    rerun = [c for c in plan["todo"] if c in there]
    assert sorted(c.name for c in rerun) == sorted(c.name for c in there if c not in current)
