"""A cell's data source comes from its data (issue 31): a D4RL file swept without --data lands
under d4rl and a --data that contradicts the data is refused, the leaderboard lists a run in
another source's folder apart, and train's default run folders keep sources apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.errors import CuratedRLError
from tests.source_data import TINY, _files, _minari_from_hand, _sweep, write_d4rl


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
