"""Schedule files and --set values a sweep refuses in one line before any cell runs or anything
is written: YAML bombs, YAML that is not plain, unknown config keys, oversized files,
ill-typed --set values and a results path that is a file."""

from __future__ import annotations

import pytest

from curatedrl.benchmarks.suites.cell_config import load_schedule
from curatedrl.cli import main

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh")) + \
    "common: {steps: 5}\nper_algo: {bc: {eval_episodes: *h}}\n"


@pytest.mark.parametrize("text,message", [
    (BOMB, "anchors and aliases expand to more than 100000 values"),
    ("common: !!python/object:os.system {}\n",
     "is not plain YAML (could not determine a constructor for the tag"),
    ("common: {stpes: 50}\n", "unknown config key 'stpes' for BCConfig; did you mean 'steps'?"),
    ("x" * (2 << 20), "YAML files the suite reads are limited to 1048576 bytes"),
])
def test_bad_schedule_is_refused_by_dry_run(hopper_random_id, tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert len(BOMB) < 600
    code = main(["sweep", "--suite", "paper", "--algo", "bc", "--dataset", hopper_random_id,
                 "--seeds", "1", "--schedule", str(path), "--root", str(tmp_path / "runs"),
                 "--results", str(tmp_path / "results"), "--dry-run"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_ill_typed_set_and_unwritable_results_refused_before_any_cell(
        hopper_random_id, tmp_path, capsys):
    args = ["sweep", "--suite", "paper", "--algo", "bc", "--dataset", hopper_random_id,
            "--seeds", "1", "--schedule", "cpu", "--root", str(tmp_path / "runs")]
    assert main([*args, "--set", "lr=fast", "--dry-run"]) == 2
    assert "config key 'lr' needs a float, got 'fast'" in capsys.readouterr().err
    (tmp_path / "results").write_text("a file")
    assert main([*args, "--results", str(tmp_path / "results")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    assert load_schedule("cpu")["name"] == "cpu"
