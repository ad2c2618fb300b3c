"""A sweep over another data source (``--data``): a source maps the suite's cells to its data
and names what is missing; a D4RL sweep and a Minari sweep (recorded with
``minari.DataCollector``) export under ``<results>/<schedule>/<source>/`` and the leaderboard
shows that section (D4RL's beside CORL's published scores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curatedrl.benchmarks.suites import sources
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule
from curatedrl.datasets.ids import canonical_name, dataset_slug
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.errors import CuratedRLError
from tests.source_data import _sweep, write_d4rl


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
