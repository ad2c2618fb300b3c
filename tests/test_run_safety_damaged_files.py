"""Damaged files are recovered from or skipped by name: a damaged reference cache is recomputed
with a warning, a damaged final.json makes the sweep rerun its cell, and an ill-typed final.json
in the results tree is skipped by the leaderboard naming the field, changing no table."""

from __future__ import annotations

import json

import pytest

from curatedrl.run.loop import reference
from curatedrl.benchmarks.sweeps.sweep import Cell, sweep
from curatedrl.run.loop.train import train
from tests.run_safety_tools import FAST, TINY


def test_damaged_reference_cache_is_recomputed(hopper_random_id, tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CACHE_DIR", tmp_path / "cache")
    settings = {**FAST, "ref_steps": 5, "ref_batch_size": 4, "warmup_steps": 5}
    a = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "a", progress=False)
    entry, = [p for p in (tmp_path / "cache").iterdir() if p.suffixes == [".safetensors"]]
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.warns(UserWarning, match=f"reference cache file {str(entry)!r} is damaged"):
        b = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "b", progress=False)
    assert not b["reference_cached"] and b["normalized_score_last"] == a["normalized_score_last"]
    c = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "c", progress=False)
    assert c["reference_cached"]


def test_damaged_final_json_is_rerun_by_the_sweep(hopper_random_id, tmp_path, capsys):
    root, results = tmp_path / "runs", tmp_path / "results"
    cell = [Cell("bc", hopper_random_id, 0)]
    sweep(cell, TINY, root, results, progress=False)
    final = root / "tiny" / "minari" / cell[0].name / "final.json"
    final.write_bytes(final.read_bytes()[:30])
    out = sweep(cell, TINY, root, results, progress=False)
    assert out["finished"] == cell and "final.json is damaged" in capsys.readouterr().out
    assert json.loads(final.read_text())["status"] == "finished"


# ---- the results tree the leaderboard reads -------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("normalized_score_last", "n/a"), ("normalized_score_last", None),
    ("normalized_score_last", [1.0]), ("normalized_score_last", True),
    ("normalized_score_best", float("nan")), ("seed", "0"),
])
def test_ill_typed_final_json_is_skipped_naming_the_field(tmp_path, field, value):
    from curatedrl.benchmarks.leaderboard.leaderboard import build
    from curatedrl.benchmarks.leaderboard.results import load_runs
    from curatedrl.run.records.rundir import ResultsFileWarning
    from tests.test_leaderboard import write_run

    for seed, score in enumerate((32.5, 37.5, 42.5)):
        write_run(tmp_path / "r", "bc", seed, score)
    good = build(tmp_path / "r", tmp_path / "good.md", tmp_path / "p", draw=False)
    bad = write_run(tmp_path / "r", "bc", 3, 0.0) / "final.json"
    wrong = f'"{field}": {json.dumps(value)}, "_was": '
    bad.write_text(bad.read_text().replace(f'"{field}": ', wrong))
    with pytest.warns(ResultsFileWarning, match=f"skipping results file {str(bad)!r}: field "
                                                f"{field!r} must be"):
        runs = load_runs(tmp_path / "r")
    assert sorted(r.final["seed"] for r in runs) == [0, 1, 2]
    with pytest.warns(ResultsFileWarning):
        again = build(tmp_path / "r", tmp_path / "again.md", tmp_path / "p", draw=False)
    tables, listed = again.split("## Run folders skipped")
    assert tables.rstrip() + "\n" == good  # the bad file changed no table: 37.5 ± 5.0 (3)
    line = next(ln for ln in listed.splitlines() if ln.startswith("- **1 run**: "))
    assert f": field {field!r} must be" in line
    assert line.endswith(" — `r/cpu/curatedrl/bc/hopper-medium/seed3`")
    assert "37.5 ± 5.0 (3)" in again
