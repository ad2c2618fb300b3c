"""Every run keeps the return of every evaluation episode (``episodes.csv``): its rows agree with
eval.csv and final.json, survive a resume exactly, are written per seed by a stacked run, are
exported by the sweep, and are read defensively (``benchmarks.leaderboard.episodes``)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from curatedrl.benchmarks.leaderboard.episodes import load_episodes
from curatedrl.benchmarks.leaderboard.results import load_results
from curatedrl.run.records import runrecord
from curatedrl.run.records.rundir import ResultsFileWarning, read_csv
from curatedrl.run.loop.train import train
from curatedrl.run.loop.train_stacked import train_seeds

RUN = {"steps": 40, "batch_size": 4, "eval_every": 20, "eval_episodes": 2,
       "final_eval_episodes": 3, "checkpoint_every": 10}
HEADER = "step,phase,episode,return,normalized_score,length"


def _by_evaluation(rows):
    out: dict[tuple[int, str], list[dict]] = {}
    for r in rows:
        out.setdefault((r["step"], r["phase"]), []).append(r)
    return out


def test_episode_rows_match_eval_csv_and_final_json(hopper_random_id, tmp_path):
    final = train("bc", hopper_random_id, 0, RUN, tmp_path / "run", progress=False)
    text = (tmp_path / "run" / "episodes.csv").read_text()
    assert text.splitlines()[0] == HEADER
    rows = load_episodes(tmp_path / "run")
    groups = _by_evaluation(rows)
    assert list(groups) == [(20, "eval"), (40, "final")]
    evals = read_csv(tmp_path / "run" / "eval.csv")
    assert len(evals) == len(groups)
    for row, ((step, _), eps) in zip(evals, groups.items()):
        assert int(row["step"]) == step and len(eps) == int(row["episodes"])
        assert [e["episode"] for e in eps] == list(range(len(eps)))
        returns = np.array([e["return"] for e in eps])
        scores = np.array([e["normalized_score"] for e in eps])
        assert float(returns.mean()) == float(row["return_mean"])
        assert float(returns.std()) == float(row["return_std"])
        assert float(scores.mean()) == float(row["normalized_mean"])
        assert float(np.mean([e["length"] for e in eps])) == float(row["length_mean"])
    last = groups[(40, "final")]
    assert len(last) == RUN["final_eval_episodes"]
    assert float(np.mean([e["normalized_score"] for e in last])) == \
        final["normalized_score_last"]
    for line in text.splitlines()[1:]:  # repr-exact floats: written back, the same text
        step, phase, ep, ret, score, length = line.split(",")
        assert repr(float(ret)) == ret and repr(float(score)) == score


def test_a_resumed_run_keeps_its_episode_rows_exact(hopper_random_id, tmp_path, monkeypatch):
    """Killed right after the step-30 checkpoint (after the step-20 evaluation): the resumed
    run's episodes.csv is the uninterrupted run's, byte for byte, no row lost or doubled."""
    settings = {**RUN, "deterministic": True}
    train("bc", hopper_random_id, 0, settings, tmp_path / "whole", progress=False)
    saved = runrecord.RunRecord.checkpoint

    def killed_after_step_30(self, step, *args):
        saved(self, step, *args)
        if step == 30:
            raise KeyboardInterrupt

    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", killed_after_step_30)
    with pytest.raises(KeyboardInterrupt, match="step 30 of 40"):
        train("bc", hopper_random_id, 0, settings, tmp_path / "killed", progress=False)
    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", saved)
    assert not (tmp_path / "killed" / "episodes.csv").exists()
    final = train("bc", hopper_random_id, 0, settings, tmp_path / "killed", progress=False)
    assert final["resumed_at_steps"] == [30]
    assert (tmp_path / "killed" / "episodes.csv").read_bytes() == \
        (tmp_path / "whole" / "episodes.csv").read_bytes()


def test_a_run_resumed_from_a_journal_without_episodes_writes_no_partial_file(
        hopper_random_id, tmp_path, monkeypatch):
    """A checkpoint whose journal holds no episode rows (written before they were kept): the
    finished run has no episodes.csv rather than one that lacks the early evaluations."""
    saved_ckpt, saved_append = runrecord.RunRecord.checkpoint, runrecord.RowJournal.append

    def old_append(self, tables):  # the journal of the code before episodes were kept
        return saved_append(self, {**tables, "episodes": []})

    def killed_after_step_30(self, step, *args):
        saved_ckpt(self, step, *args)
        if step == 30:
            raise KeyboardInterrupt

    monkeypatch.setattr(runrecord.RowJournal, "append", old_append)
    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", killed_after_step_30)
    with pytest.raises(KeyboardInterrupt):
        train("bc", hopper_random_id, 0, RUN, tmp_path / "run", progress=False)
    monkeypatch.setattr(runrecord.RunRecord, "checkpoint", saved_ckpt)
    monkeypatch.setattr(runrecord.RowJournal, "append", saved_append)
    train("bc", hopper_random_id, 0, RUN, tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "final.json").exists()
    assert not (tmp_path / "run" / "episodes.csv").exists()


def test_a_stacked_run_writes_one_episodes_file_per_seed(hopper_random_id, tmp_path):
    tiny = {"steps": 6, "eval_every": 3, "eval_episodes": 2, "final_eval_episodes": 3,
            "batch_size": 8, "hidden_dim": 32}
    train_seeds("td3_bc", hopper_random_id, [0, 1], tiny, tmp_path / "stacked", progress=False)
    rows = {s: load_episodes(tmp_path / "stacked" / f"seed{s}") for s in (0, 1)}
    for seed, eps in rows.items():
        assert [(r["step"], r["phase"], r["episode"]) for r in eps] == \
            [(3, "eval", 0), (3, "eval", 1), (6, "final", 0), (6, "final", 1), (6, "final", 2)]
        final = json.loads((tmp_path / "stacked" / f"seed{seed}" / "final.json").read_text())
        assert np.mean([r["normalized_score"] for r in eps[2:]]) == \
            pytest.approx(final["normalized_score_last"], rel=1e-12)
    assert rows[0] != rows[1]  # each seed its own actor and evaluation seeds


def _results_run(tmp_path, episodes: str | None):
    """A results tree of one run copied from a real run, with ``episodes`` as its file."""
    src = tmp_path / "src"
    if not (src / "final.json").exists():
        train("bc", "test/hopper/random-v0", 0, RUN, src, progress=False)
    dest = tmp_path / "results" / "s" / "minari" / "bc" / "hopper-random" / "seed0"
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("final.json", "eval.csv", "config.yaml"):
        (dest / name).write_bytes((src / name).read_bytes())
    (dest / "episodes.csv").unlink(missing_ok=True)
    if episodes is not None:
        (dest / "episodes.csv").write_text(episodes)
    return dest


@pytest.mark.parametrize("text, problem", [
    ("step,phase,episode,return\n20,eval,0,1.0\n", "header"),
    (HEADER + "\n20,eval,0,1.5,2.0\n", "5 fields"),
    (HEADER + "\n20,eval,0,nan,2.0,10\n", "'return' must be a finite number"),
    (HEADER + "\n20,eval,0,1e308,2.0,10\n", "'return' must be a finite number"),
    (HEADER + "\n20,eval,0,<b>1</b>,2.0,10\n", "'return' must be a number"),
    (HEADER + "\n20,train,0,1.0,2.0,10\n", "'phase' must be one of eval, final"),
    (HEADER + "\n20,eval,0,1.0,2.0,-3\n", "'length' must be an integer"),
    (HEADER + "\n20,eval,1,1.0,2.0,3\n", "episode 1, expected 0"),
    (HEADER + "\n20,eval,0,1.0,2.0,3\n20,eval,0,1.0,2.0,3\n", "episode 0, expected 1"),
    (HEADER + "\n40,final,0,1.0,2.0,3\n20,eval,0,1.0,2.0,3\n", "after the final one"),
    (HEADER + "\n40,eval,0,1.0,2.0,3\n20,eval,0,1.0,2.0,3\n", "step 20 comes after step 40"),
    (HEADER + "\n", "no episodes"),
    ("\xff\xfe", "header"),
])
def test_a_bad_episodes_file_is_ignored_with_one_warning_naming_it(text, problem,
                                                                   hopper_random_id,
                                                                   tmp_path):
    dest = _results_run(tmp_path, text)
    with pytest.warns(ResultsFileWarning, match=problem) as caught:
        assert load_episodes(dest) is None
    assert len(caught) == 1 and "episodes.csv" in str(caught[0].message)
    runs, skipped = load_results(tmp_path / "results")  # the run itself is still a result
    assert len(runs) == 1 and not skipped and runs[0].episodes == dest / "episodes.csv"


def test_results_without_an_episodes_file_keep_working(hopper_random_id, tmp_path):
    dest = _results_run(tmp_path, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_episodes(dest) is None
        runs, skipped = load_results(tmp_path / "results")
    assert len(runs) == 1 and runs[0].episodes is None and not skipped
    (dest / "episodes.csv").write_text(HEADER + "\n40,final,0,1.5,,1000\n")
    rows = load_episodes(dest)
    assert rows == [{"step": 40, "phase": "final", "episode": 0, "return": 1.5,
                     "normalized_score": None, "length": 1000}]
