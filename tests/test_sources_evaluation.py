"""What a run's scores are measured against: final.json and config.yaml record the evaluation
env and reference returns and the cell covers them; results written before they were recorded
count where today's manifest agrees; and every committed result is still recognised by a
``--skip-exported`` sweep."""

from __future__ import annotations

import json

import pytest

from curatedrl.benchmarks.suites.cell_config import load_schedule
from tests.conftest import REPO
from tests.source_data import TINY, _minari_from_hand


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
