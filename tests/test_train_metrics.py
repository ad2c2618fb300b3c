"""A run's training summary (``train_metrics.csv``): metrics.csv's header and its rows at the
evaluation steps and the last step, byte for byte (``run/records/train_summary.py``); exported
with the run's other files, removed when the run has none, added to earlier exports when a sweep
finds the cell finished; read defensively by the leaderboard (``train_metrics.py``)."""

from __future__ import annotations

import json
import warnings

import pytest

from curatedrl.benchmarks.leaderboard.results import load_results
from curatedrl.benchmarks.sweeps.sweep import Cell, export, sweep
from curatedrl.run.records.rundir import ResultsFileWarning, write_csv
from curatedrl.run.records.train_summary import summary_rows, train_summary
from tests.leaderboard_runs import write_run

HEADER = b"step,train/loss,train/weight_ess,time/elapsed_s\r\n"
ROWS = [b"%d,0.%d5,0.%d,1.%d\r\n" % (s, s, s, s) for s in (10, 20, 30, 40, 50)]


def test_the_summary_keeps_the_evaluation_steps_and_the_last_row_as_they_are():
    metrics = HEADER + b"".join(ROWS)
    assert summary_rows(metrics, [20, 40]) == HEADER + ROWS[1] + ROWS[3] + ROWS[4]
    assert summary_rows(metrics, [25, 50]) == HEADER + ROWS[4]  # the last row once
    assert summary_rows(metrics, []) == HEADER + ROWS[4]
    lf = metrics.replace(b"\r\n", b"\n")[:-1]  # other line endings, no final one: kept as is
    assert summary_rows(lf, [30]) == b"step,train/loss,train/weight_ess,time/elapsed_s\n" \
        b"30,0.305,0.30,1.30\n50,0.505,0.50,1.50"
    assert summary_rows(HEADER, [10]) is None  # no row
    assert summary_rows(b"loss,x\r\n1,2\r\n", [1]) is None  # no step column


def _run_dir(path, metrics: bytes | None):
    path.mkdir(parents=True)
    (path / "final.json").write_text(json.dumps({"status": "finished"}))
    (path / "config.yaml").write_text("algo: iw_bc\n")
    write_csv(path / "eval.csv", [{"step": 20, "normalized_mean": 1.0},
                                  {"step": 50, "normalized_mean": 2.0}])
    if metrics is not None:
        (path / "metrics.csv").write_bytes(metrics)
    return path


def test_export_writes_the_summary_and_a_run_without_metrics_removes_a_stale_one(tmp_path):
    dest = tmp_path / "results" / "x" / "seed0"
    export(_run_dir(tmp_path / "run", HEADER + b"".join(ROWS)), dest)
    assert (dest / "train_metrics.csv").read_bytes() == HEADER + ROWS[1] + ROWS[4]
    export(_run_dir(tmp_path / "old", None), dest)  # a run without metrics.csv
    assert not (dest / "train_metrics.csv").exists()
    assert (dest / "final.json").exists() and (dest / "eval.csv").exists()


def test_a_sweep_adds_the_summary_to_an_earlier_export_of_a_finished_cell(hopper_random_id,
                                                                          tmp_path):
    """A cell exported before the file existed gets it when a sweep finds the cell finished
    (the decisive experiment's runs: docs/decisive.md, "How it is run")."""
    schedule = {"name": "tiny", "per_algo": {}, "common": {
        "steps": 30, "eval_every": 20, "eval_episodes": 1, "final_eval_episodes": 1,
        "batch_size": 4}}
    cell = Cell("bc", hopper_random_id, 0)
    root, results = tmp_path / "runs", tmp_path / "results"
    first = sweep([cell], schedule, root, results, progress=False, threads=1)
    assert first["finished"] == [cell]
    run, dest = root / "tiny" / "minari" / cell.name, results / "tiny" / "minari" / cell.name
    summary = (dest / "train_metrics.csv").read_bytes()
    lines = (run / "metrics.csv").read_bytes().splitlines(keepends=True)
    assert [ln.split(b",")[0] for ln in lines] == [b"step", b"10", b"20", b"30"]
    assert summary == lines[0] + lines[2] + lines[3] == train_summary(run)
    (dest / "train_metrics.csv").unlink()  # as exported by the code before it
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    again = sweep([cell], schedule, root, results, progress=False, threads=1,
                  skip_exported=True)
    assert again["skipped"] == [cell] and not again["finished"]
    assert (dest / "train_metrics.csv").read_bytes() == summary
    assert all((dest / name).read_bytes() == data for name, data in before.items())


GOOD = "step,train/loss,train/weight_ess,time/elapsed_s\n20,0.5,0.25,1.0\n50,0.4,,2.0\n"


def _results_run(tmp_path, text: str | None):
    run = write_run(tmp_path / "results", "iw_bc", 0, 30.0)
    if text is not None:
        (run / "train_metrics.csv").write_text(text)
    return run


@pytest.mark.parametrize("text, problem", [
    ("loss,step\n1,2\n", "header must start with step"),
    ("step,train/<img src=x onerror=alert(1)>\n1,2\n", "is not a metric name"),
    ("step,train/loss,train/loss\n1,2,3\n", "names a column twice"),
    ("step,train/loss\n20,0.5,1\n", "3 fields, expected 2"),
    ("step,train/loss\n-1,0.5\n", "'step' must be an integer"),
    ("step,train/loss\n20,0.5\n20,0.4\n", "step 20 does not come after step 20"),
    ("step,train/loss\n20,<b>x</b>\n", "'train/loss' must be a number"),
    ("step,train/loss\n20,nan\n", "'train/loss' must be a finite number"),
    ("step,train/weight_ess\n20,1.5\n", "'train/weight_ess' must be a finite number in"),
    ("step,train/loss\n", "no rows"),
    ("\udcff", "UnicodeDecodeError"),
])
def test_a_bad_summary_is_ignored_with_one_warning_naming_it_and_the_run_counts(
        tmp_path, text, problem):
    run = _results_run(tmp_path, None)
    (run / "train_metrics.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.warns(ResultsFileWarning, match=problem) as caught:
        runs, skipped = load_results(tmp_path / "results")
    assert len(caught) == 1 and "train_metrics.csv" in str(caught[0].message)
    assert len(runs) == 1 and not skipped and runs[0].train_metrics is None


def test_results_with_or_without_a_summary_load_without_a_warning(tmp_path):
    _results_run(tmp_path / "old", None)
    _results_run(tmp_path / "new", GOOD)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old, _ = load_results(tmp_path / "old" / "results")
        new, _ = load_results(tmp_path / "new" / "results")
    assert old[0].train_metrics is None
    assert new[0].train_metrics == [
        {"step": 20, "train/loss": 0.5, "train/weight_ess": 0.25, "time/elapsed_s": 1.0},
        {"step": 50, "train/loss": 0.4, "train/weight_ess": None, "time/elapsed_s": 2.0}]
