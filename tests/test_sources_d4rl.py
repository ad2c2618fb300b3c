"""D4RL's HDF5 files as a data source: a file in its real layout loads with its three kinds of
episode end, `make reproduce` on a folder missing files says so in one line, and a D4RL cell is
keyed by the file's name and bytes, never by where it lies."""

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
from curatedrl.cli import main
from curatedrl.datasets import load
from tests.conftest import REPO
from tests.source_data import LENGTHS, _files, _sweep, write_d4rl


def test_a_d4rl_file_in_its_real_layout_loads_with_its_three_kinds_of_episode_end(tmp_path):
    ds = load(str(write_d4rl(tmp_path / "hopper-medium-v2.hdf5")))
    assert np.diff(ds.offsets).tolist() == list(LENGTHS)
    ends = ds.offsets[1:] - 1
    assert ds.terminations[ends].tolist() == [True, False, False]
    assert ds.truncations[ends].tolist() == [False, True, True]
    with h5py.File(tmp_path / "hopper-medium-v2.hdf5") as f:
        assert np.array_equal(ds.next_observations, f["next_observations"][:])
    assert ds.metadata.eval_env_id == "Hopper-v4" and ds.metadata.ref_max_score == 3234.3


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
