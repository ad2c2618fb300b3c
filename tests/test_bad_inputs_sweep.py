"""Bad input to ``curatedrl sweep``: an unknown schedule, and a cell's own field (seed, dataset,
env) in --set, are refused in one line and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from curatedrl.cli import main
from tests.bad_input_workspace import snapshot


def test_unknown_schedule_is_refused_and_nothing_is_written(ws, capsys, tmp_path):
    root = Path(ws["root"])
    before = snapshot(root)
    capsys.readouterr()
    code = main(["sweep", "--suite", "paper", "--schedule", "paper-sampeld", "--seeds", "1",
                 "--root", str(tmp_path / "runs"), "--results", str(tmp_path / "results")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("curatedrl: error: unknown schedule 'paper-sampeld'; choose one "
                               "of") and "paper-sampled" in lines[0]
    assert snapshot(root) == before and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("item,key", [("seed=5", "seed"), ("dataset=other/x-v0", "dataset"),
                                      ("env=hopper", "env")])
def test_a_cell_field_in_sweep_set_is_refused_and_nothing_is_written(
        ws, capsys, tmp_path, item, key):
    """A sweep's cell takes its seed and dataset from the sweep; ``--set seed=5`` would be
    silently overridden (or refused by every cell's train)."""
    code = main(["sweep", "--suite", "paper", "--algo", "bc", "--dataset", ws["hopper"],
                 "--seeds", "1", "--set", item, "--root", str(tmp_path / "runs"),
                 "--results", str(tmp_path / "results")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and lines == [f"curatedrl: error: --set sets {key!r}, which is each cell's "
                                   f"own (seeds: --seeds; datasets: --suite, --dataset and "
                                   f"--data); drop it"]
    assert list(tmp_path.iterdir()) == []
