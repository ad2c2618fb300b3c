"""A failed run (a non-finite training metric: final.json with status ``failed``) reaches the
results tree and the leaderboard as data: a sweep exports its failure record like a finished
run's files (same checks; a finished rerun of the cell replaces it), the leaderboard lists it
under its section's runs kept out, never averaged and without its error text, and a registered
experiment counts a pair with a failed run as left out: its verdict is read once every
registered pair is in or left out (docs/decisive.md)."""

from __future__ import annotations

import importlib
import json
import shutil
import warnings
from pathlib import Path

import pytest

from curatedrl.benchmarks.leaderboard.admission import expected_config
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.results import load_results
from curatedrl.benchmarks.suites.cell_config import load_schedule
from curatedrl.benchmarks.sweeps.sweep import Cell, export, sweep
from curatedrl.errors import CuratedRLError
from curatedrl.run.records.rundir import ResultsFileWarning, write_csv, write_yaml
from tests.leaderboard_runs import DS, write_run

TINY = {"name": "tiny", "per_algo": {}, "common": {
    "steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1, "batch_size": 4}}
# Adam at a learning rate of 1e30: the loss is NaN at step 2, every time (a real failed run)
DIVERGES = {**TINY, "common": {**TINY["common"], "lr": 1e30}}
MARKUP = "<script>alert(1)</script> | **bold** `code` [link](http://x)"


def test_a_sweep_exports_a_failed_run_and_a_finished_rerun_replaces_it(
        hopper_random_id, tmp_path, monkeypatch, capsys):
    cell = Cell("bc", hopper_random_id, 0)
    root, results = tmp_path / "runs", tmp_path / "results"
    out = sweep([cell], DIVERGES, root, results, progress=False, threads=1)
    assert [o["cell"] for o in out["failed"]] == [cell] and not out["finished"]
    run, dest = root / "tiny" / "minari" / cell.name, results / "tiny" / "minari" / cell.name
    record = json.loads((dest / "final.json").read_text())
    assert record["status"] == "failed" and record["failed_step"] == 2
    assert "non-finite training metric at step 2" in record["error"]
    assert str(tmp_path) not in record["error"]  # no path of the machine in the results
    assert {p.name for p in dest.iterdir()} == {"final.json", "config.yaml", "eval.csv",
                                                "episodes.csv"}  # no metrics row before step 2
    for name in ("final.json", "config.yaml"):
        assert (dest / name).read_bytes() == (run / name).read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsFileWarning)
        runs, skipped = load_results(results)
    assert [r.final["status"] for r in runs] == ["failed"] and skipped == []
    capsys.readouterr()
    # a failure record is a result: not run again, here or from the results tree alone
    for where, skip in ((root, False), (tmp_path / "fresh", True)):
        plan = sweep([cell], DIVERGES, where, results, skip_exported=skip, dry_run=True,
                     threads=1)
        assert plan["todo"] == [] and plan["failed_before"] == [cell]
        assert "1 failed before (failure records; not run again, --retry-failed runs them)" \
            in capsys.readouterr().out
    plan = sweep([cell], DIVERGES, root, results, skip_exported=True, dry_run=True, threads=1,
                 retry_failed=True)
    assert plan["todo"] == [cell] and plan["failed_before"] == []
    assert "(1 failed (a non-finite training metric: failure records), run again " \
           "(--retry-failed))" in capsys.readouterr().out

    # a sweep that finds the failed cell exports its record and leaves the cell as it is;
    # with --retry-failed it exports the record before the cell runs again
    shutil.rmtree(results)
    seen = []
    module = importlib.import_module("curatedrl.benchmarks.sweeps.sweep")
    monkeypatch.setattr(module, "run_local",
                        lambda jobs, *args: seen.append(((dest / "final.json").exists(),
                                                         [c for j in jobs for c in j[0]])))
    out = sweep([cell], DIVERGES, root, results, progress=False, threads=1)
    assert seen == [] and out["failed_before"] == [cell] and not out["failed"]
    assert (dest / "final.json").read_bytes() == (run / "final.json").read_bytes()
    assert f"FAILED BEFORE {cell.name}: failed at step 2" in capsys.readouterr().out
    shutil.rmtree(results)
    sweep([cell], DIVERGES, root, results, progress=False, threads=1, retry_failed=True)
    assert seen == [(True, [cell])]
    assert (dest / "final.json").read_bytes() == (run / "final.json").read_bytes()
    monkeypatch.undo()

    again = sweep([cell], TINY, root, results, progress=False, threads=1)  # trains, finishes
    assert again["finished"] == [cell] and not again["failed"]
    final = json.loads((dest / "final.json").read_text())
    assert final["status"] == "finished" and "failed_step" not in final
    assert {p.name for p in dest.iterdir()} == {"final.json", "config.yaml", "eval.csv",
                                                "episodes.csv", "train_metrics.csv"}
    assert (dest / "eval.csv").read_bytes() == (run / "eval.csv").read_bytes()


def _run_dir(path: Path, final: dict, commit: str = "abc", eval_csv: bool = True) -> Path:
    """A run directory of schedule cpu's bc on DS seed 0."""
    path.mkdir(parents=True)
    write_yaml(path / "config.yaml", {"algo": "bc", "dataset_hash": "h0", "git_commit": commit,
                                      **expected_config("bc", DS, 0, load_schedule("cpu"))})
    if eval_csv:
        write_csv(path / "eval.csv", [{"step": 500, "normalized_mean": 1.0}])
    (path / "metrics.csv").write_text("step,train/loss,time/elapsed_s\n10,0.5,1.0\n")
    (path / "final.json").write_text(json.dumps({"algo": "bc", "dataset": DS, "seed": 0,
                                                 "git_commit": commit, **final}))
    return path


FAILURE = {"status": "failed", "failed_step": 27, "steps": 1000, "error": MARKUP}


def test_export_checks_a_failure_record_and_copies_the_files_it_has(tmp_path):
    dest = tmp_path / "results" / "cpu" / "curatedrl" / "bc" / "hopper-medium" / "seed0"
    dirty = _run_dir(tmp_path / "dirty", FAILURE, commit="abc-dirty")
    with pytest.raises(CuratedRLError, match="modified tree.*--export-as NAME"):
        export(dirty, dest, "cpu")
    assert not dest.exists()
    finished = _run_dir(tmp_path / "finished", {
        "status": "finished", "normalized_score_last": 1.0, "normalized_score_best": 1.0})
    export(finished, dest, "cpu")
    failed = _run_dir(tmp_path / "failed", FAILURE, eval_csv=False)
    export(failed, dest, "cpu")  # replaces the whole set: no eval.csv of the finished run left
    assert {p.name for p in dest.iterdir()} == {"final.json", "config.yaml", "train_metrics.csv"}
    assert (dest / "final.json").read_bytes() == (failed / "final.json").read_bytes()
    export(finished, dest, "cpu")
    assert json.loads((dest / "final.json").read_text())["status"] == "finished"
    assert (dest / "eval.csv").read_bytes() == (finished / "eval.csv").read_bytes()


def write_failed(root: Path, algo: str, seed: int, step: int, **kw) -> Path:
    """A failure record in the results tree, as a sweep exports it: no scores."""
    run = write_run(root, algo, seed, 0.0, **kw)
    final = json.loads((run / "final.json").read_text())
    for key in ("normalized_score_last", "normalized_score_best"):
        del final[key]
    (run / "final.json").write_text(json.dumps({**final, "status": "failed", "error": MARKUP,
                                                "failed_step": step}))
    write_csv(run / "eval.csv", [{"step": 1, "normalized_mean": 99.0}])
    return run


def _row(text: str, label: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_a_failed_run_is_listed_kept_out_never_averaged_and_its_error_is_not_shown(tmp_path):
    root = tmp_path / "r"
    for seed in range(3):
        write_run(root, "bc", seed, 10.0 + seed)
    bc3 = write_failed(root, "bc", 3, 27)
    td3 = write_failed(root, "td3_bc", 0, 5)  # the algorithm's only run
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsFileWarning)
        text = build(root, tmp_path / "LB.md", tmp_path / "site", draw=False, site=True)
    page = (tmp_path / "site" / "index.html").read_text()
    header = _row(text, "dataset")
    assert _row(text, "hopper-medium")[header.index("bc")] == "11.0 ± 1.0 (3)"
    assert "td3_bc" not in header and "- 3 runs; code commits" in text
    assert "Run folders skipped" not in text
    listed = text.split("### Runs kept out of these tables")[1].split("###")[0]
    assert "or failed (a non-finite training metric stopped them" in listed
    for run, step in ((bc3, 27), (td3, 5)):
        line = f"- **1 run**: failed: non-finite training metric at step {step} — " \
               f"`{run.relative_to(tmp_path).as_posix()}`"
        assert line in listed
        assert f"failed: non-finite training metric at step {step}</td>" in page
    headline = text.split("## Headline")[1].split("## Schedule")[0]
    compute = text.split("## Score against compute")[1]
    assert "**bc**" in headline and "**td3_bc**" not in headline  # named as without a run
    assert "| cpu | bc | test | 3 |" in compute and "| td3_bc |" not in compute
    for shown in (text, page):
        assert "alert(1)" not in shown and "**bold**" not in shown  # the error text: never shown


HMR, CMR = "curatedrl/hopper/medium-replay-v0", "curatedrl/halfcheetah/medium-replay-v0"
WMR = "curatedrl/walker2d/medium-replay-v0"
WHOLE = "paper-whole-ft"


def _status(text: str) -> str:
    section = text[text.index(f"## Schedule `{WHOLE}`"):]
    claims = section[section.index("### Claims, paired by seed"):]
    return claims[:claims.index("| comparison |")]


def test_a_pair_with_a_failed_run_is_left_out_and_the_verdict_reads_the_others(tmp_path):
    root = tmp_path / "r"
    for d in (HMR, CMR, WMR):
        for seed in range(10):
            write_run(root, "filtered_bc", seed, 30.0 + seed, dataset=d, schedule=WHOLE)
            if (d, seed) not in ((WMR, 9), (CMR, 8)):
                write_run(root, "iw_bc", seed, 31.0 + seed, dataset=d, schedule=WHOLE)
    write_failed(root, "iw_bc", 9, 1234, dataset=WMR, schedule=WHOLE)
    dirty = write_failed(root, "iw_bc", 8, 7, dataset=CMR, schedule=WHOLE, commit="abc-dirty")

    def build_status() -> tuple[str, str, str]:
        text = build(root, tmp_path / "LB.md", tmp_path / "site", draw=False, site=True)
        return text, _status(text), (tmp_path / "site" / "index.html").read_text()

    text, status, page = build_status()
    counts = ("pairs in / left out because a run failed / missing: hopper-medium-replay "
              "10 / 0 / 0, halfcheetah-medium-replay 9 / 0 / 1, walker2d-medium-replay 9 / 1 / 0 "
              "(28 / 1 / 1 of 30).")  # a failure record from a modified tree is no run of it
    interim = ("below is interim: the registered verdict (docs/decisive.md) is read only when "
               "each of the 30 pairs is in or left out because a run failed.")
    assert counts in status and interim in status and counts in page and interim in page
    assert "failed: non-finite training metric at step 1234 — " in text
    read = next(ln for ln in text.splitlines() if ln.startswith("| walker2d-medium-replay | +"))
    assert read.endswith(", 9 pairs |")  # seeds 0-8: the failed pair is not read

    shutil.rmtree(dirty)
    write_run(root, "iw_bc", 8, 39.0, dataset=CMR, schedule=WHOLE)
    text, status, page = build_status()
    verdict = ("(29 / 1 / 0 of 30). Every registered pair is in or left out: 1 pair left out "
               "because a run failed (a non-finite training metric), as docs/decisive.md "
               "registers; the paired reading of iw_bc vs filtered_bc below is the registered "
               "verdict (docs/decisive.md), read from the remaining 29 pairs.")
    assert verdict in status and verdict in page and "interim" not in status
