"""The leaderboard's views across sections: the tuning-budget bandit (Unifloral's protocol), the
episodes.csv reader, score against compute (cost per run, stage 1 charged, stacked seeds
split) and the headline table."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from curatedrl.benchmarks.leaderboard.bandit import tuning_curve, ucb_selections
from curatedrl.benchmarks.leaderboard.cost import pre_training_seconds, run_costs
from curatedrl.benchmarks.leaderboard.episodes import read_final_scores
from curatedrl.run.records.runrecord import EPISODE_COLUMNS as COLUMNS
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.results import load_runs
from curatedrl.run.records.rundir import ResultsFileWarning, write_csv
from tests.leaderboard_runs import write_run

OTHER = "curatedrl/hopper/medium-replay-v0"


def _episodes(run: Path, final: list[float], evals: list[float] = (1.0,)) -> None:
    rows = [{"step": 5, "phase": "eval", "episode": i, "return": 10.0 * s,
             "normalized_score": s, "length": 100} for i, s in enumerate(evals)]
    rows += [{"step": 10, "phase": "final", "episode": i, "return": 10.0 * s,
              "normalized_score": s, "length": 100} for i, s in enumerate(final)]
    write_csv(run / "episodes.csv", rows)


def _timed_eval(run: Path, rows: list[tuple[int, float, float]]) -> None:
    write_csv(run / "eval.csv", [{"step": s, "normalized_mean": y, "time_s": t}
                                 for s, t, y in rows])


# --- the bandit -----------------------------------------------------------------------------

def test_bandit_two_arms_by_hand():
    """Arms always returning 10 and 0: the first pull is a random arm (both UCB values are 0),
    so after one pull the selected policy is either; the second pull goes to the arm not yet
    pulled (infinite bonus), after which the better arm is selected in every trial."""
    picks = ucb_selections([np.array([10.0, 10.0, 10.0]), np.array([0.0, 0.0])], pulls=5,
                           trials=2000, rng=np.random.default_rng(0))
    assert set(np.unique(picks[:, 0])) == {0.0, 10.0}
    assert picks[:, 0].mean() == pytest.approx(5.0, abs=0.4)  # half the trials pull arm 10 first
    assert (picks[:, 1:] == 10.0).all()


def test_bandit_scores_the_true_mean_and_converges_to_the_best_arm():
    """n -> infinity: the best arm's mean (the mean of all its episodes, not of the pulls)."""
    arms = [np.array([8.0, 12.0]), np.array([7.0, 8.0]), np.array([1.0, 2.0, 3.0])]
    picks = ucb_selections(arms, pulls=300, trials=400, rng=np.random.default_rng(1))
    assert set(np.unique(picks)) <= {10.0, 7.5, 2.0}
    assert picks[:, -1].mean() == pytest.approx(10.0)  # every trial has found the best arm
    assert picks[:, 0].mean() < 9.0  # one pull: often not the best
    curve = tuning_curve(arms, pulls=300, trials=400)
    assert curve.at(300)[0] == pytest.approx(10.0)
    assert curve.lo[0] <= curve.mean[0] <= curve.hi[0] and curve.hi[0] > curve.lo[0]


def test_bandit_subsamples_policies_and_is_deterministic():
    arms = [np.array([float(k), float(k) + 1.0]) for k in range(12)]
    a, b = tuning_curve(arms, pulls=50, trials=100), tuning_curve(arms, pulls=50, trials=100)
    assert np.array_equal(a.mean, b.mean) and np.array_equal(a.lo, b.lo)
    # 8 of 12 policies per trial: the best of a subset, on average below the best of all
    assert a.at(50)[0] < 11.5


# --- episodes.csv ---------------------------------------------------------------------------

def test_episodes_reader_keeps_final_rows_and_names_what_is_wrong(tmp_path):
    run = write_run(tmp_path, "bc", 0, 10.0)
    assert read_final_scores(run) == (None, None)  # no file: not covered, not a problem
    _episodes(run, [1.0, 3.0], evals=[50.0])
    scores, problem = read_final_scores(run)
    assert problem is None and scores.tolist() == [1.0, 3.0]
    (run / "episodes.csv").write_text(",".join(COLUMNS) + "\n5,train,0,1.0,1.0,100\n")
    assert "phase" in read_final_scores(run)[1]
    (run / "episodes.csv").write_text(",".join(COLUMNS) + "\n5,final,0,1.0,nan,100\n")
    assert "normalized_score" in read_final_scores(run)[1]
    (run / "episodes.csv").write_text("step,return\n5,1.0\n")
    assert "its header must be" in read_final_scores(run)[1]
    (run / "episodes.csv").write_text(",".join(COLUMNS) + "\n5,eval,0,1.0,1.0,100\n")
    assert "no final rows" in read_final_scores(run)[1]


def test_tuning_view_from_fixture_runs_is_deterministic_and_lists_bad_files(tmp_path):
    root = tmp_path / "r"
    for seed, (lo, hi) in enumerate([(10.0, 12.0), (30.0, 34.0), (20.0, 20.0)]):
        _episodes(write_run(root, "filtered_bc", seed, hi), [lo, hi] * 5)
    write_run(root, "filtered_bc", 3, 5.0)  # no episodes.csv: not covered
    bad = write_run(root, "bc", 0, 5.0)
    (bad / "episodes.csv").write_text("not,a,header\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResultsFileWarning)
        text = build(root, tmp_path / "a.md", tmp_path / "p", site=True)
    assert any("episodes.csv" in str(w.message) for w in caught)
    assert "3 of the section's 5 runs record their episodes" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("| hopper-medium | filtered_bc |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "3"
    n1, n100 = float(cells[3].split()[0]), float(cells[5].split()[0])
    assert 11.0 < n1 < 32.0 and n100 == pytest.approx(32.0, abs=0.5)  # best arm's mean: 32
    assert "bc/hopper-medium/seed0`: episodes.csv: its header must be" in text
    assert (tmp_path / "p" / "cpu-tuning-hopper.png").stat().st_size > 1000
    assert 'id="cpu-tuning-table"' in (tmp_path / "p" / "index.html").read_text()
    first = (tmp_path / "p" / "cpu-tuning-hopper.png").read_bytes()
    with pytest.warns(ResultsFileWarning, match="episodes.csv"):  # the bad file, again
        again = build(root, tmp_path / "b.md", tmp_path / "p", site=True)
    assert again == text and (tmp_path / "p" / "cpu-tuning-hopper.png").read_bytes() == first


def test_without_episodes_the_section_says_so(tmp_path):
    write_run(tmp_path, "bc", 0, 10.0)
    text = build(tmp_path, tmp_path / "LB.md", tmp_path / "p", draw=False)
    assert "No run of this section (1 in all) records its episodes (episodes.csv beside " \
        "final.json, which runs write from commit 9ad526e on" in text


# --- score against compute ------------------------------------------------------------------

def test_pre_training_time_is_extrapolated_from_the_first_two_evaluations():
    assert pre_training_seconds([(500, 134.17, 0), (1000, 134.76, 0), (10000, 150, 0)]) == \
        pytest.approx(133.58)
    assert pre_training_seconds([(500, 13.2, 0)]) is None


def test_cost_splits_stacked_seeds_counts_threads_and_charges_cached_stage_one(tmp_path):
    cfg = {"steps": 20, "ref_steps": 100}
    # the run that trained π_ref: 100 s before its first step (two evaluations: 110 s, 120 s)
    trainer = write_run(tmp_path, "filtered_bc", 0, 10.0, steps=20, config=cfg, final={
        "reference_key": "k0", "reference_cached": False, "wall_time_s": 120.0, "threads": 2})
    _timed_eval(trainer, [(10, 110.0, 5.0), (20, 120.0, 10.0)])
    cached = write_run(tmp_path, "iw_bc", 0, 12.0, steps=20, config=cfg, final={
        "reference_key": "k0", "reference_cached": True, "wall_time_s": 22.0, "threads": 2})
    _timed_eval(cached, [(10, 12.0, 6.0), (20, 22.0, 12.0)])  # its own setup: 2 s
    orphan = write_run(tmp_path, "sft_q", 0, 9.0, steps=20, config=cfg, final={
        "reference_key": "k9", "reference_cached": True, "wall_time_s": 20.0})
    for seed in range(2):  # one process, two seeds, one thread: 3600 s shared
        write_run(tmp_path, "td3_bc", seed, 5.0, final={
            "wall_time_s": 3600.0, "stacked_seeds": [0, 1], "hardware": "cpu, torch threads 1"})
    runs = load_runs(tmp_path)
    costs = {r.algo + str(r.final["seed"]): run_costs(runs)[id(r)] for r in runs}
    assert costs["filtered_bc0"].hours == pytest.approx(120.0 * 2 / 3600)
    assert costs["filtered_bc0"].charged == ""
    # charged the trainer's 100 s (2 threads) less its own 2 s: 22 + 98 s at 2 threads
    assert costs["iw_bc0"].hours == pytest.approx((22.0 + 98.0) * 2 / 3600)
    assert costs["iw_bc0"].charged == "charged"
    assert costs["iw_bc0"].curve[0][1] == pytest.approx((12.0 + 98.0) * 2 / 3600)
    assert costs["sft_q0"].charged == "not found"
    assert costs["sft_q0"].hours == pytest.approx(20.0 / 3600)
    assert costs["td3_bc0"].hours == pytest.approx(0.5) == costs["td3_bc1"].hours
    assert orphan.exists() and cached.exists()


def test_compute_view_and_headline_on_the_pages(tmp_path):
    root = tmp_path / "r"
    for seed in range(2):
        run = write_run(root, "td3_bc", seed, 30.0 + seed, steps=30_000, final={
            "wall_time_s": 360.0, "threads": 1, "hardware": "CPU A, 2 cores, torch threads 1"})
        _timed_eval(run, [(15_000, 180.0, 20.0), (30_000, 360.0, 30.0 + seed)])
        other = write_run(root, "td3_bc", seed, 40.0, steps=30_000, dataset=OTHER,
                          final={"wall_time_s": 720.0, "hardware": "CPU B, torch threads 1"})
        _timed_eval(other, [(15_000, 360.0, 20.0), (30_000, 720.0, 40.0)])
        run = write_run(root, "bc", seed, 10.0, schedule="paper-sampled", steps=10_000,
                        final={"wall_time_s": 72.0})
        _timed_eval(run, [(5_000, 36.0, 5.0), (10_000, 72.0, 10.0)])
        write_run(root, "bc", seed, 8.0, steps=1_000)  # a smaller budget: not the headline's
    text = build(root, tmp_path / "LB.md", tmp_path / "p", site=True)
    head = text[text.index("## Headline"):text.index("## Schedule")]
    assert "Budgets differ" in head
    lines = [ln for ln in head.splitlines() if ln.startswith("|")]
    assert lines[0] == "| algorithm (budget) | hopper-medium | hopper-medium-replay | average |"
    assert lines[2] == ("| **bc** (schedule paper-sampled, 100.0% of its published steps, "
                        "0.02 core-hours per run) | 10.0 ± 0.0 (2) | — (0) | — (1/2) |")
    assert lines[3] == ("| **td3_bc** (schedule cpu, 3.0% of its published steps, 0.15 "
                        "core-hours per run) | 30.5 ± 0.7 (2) | 40.0 ± 0.0 (2) | 35.2 |")
    comp = text[text.index("## Score against compute"):]
    # td3_bc on two machines: two rows, never one; 1M published steps at 0.1 h per 30k steps
    assert "| cpu | td3_bc | CPU A, 2 cores | 2 | 0.100 | 1,000,000 | 3.33 |" in comp
    assert "| cpu | td3_bc | CPU B | 2 | 0.200 | 1,000,000 | 6.67 |" in comp
    assert (tmp_path / "p" / "compute-hopper.png").stat().st_size > 1000
    page = (tmp_path / "p" / "index.html").read_text()
    assert page.index('id="headline"') < page.index('id="cpu"') < page.index('id="compute"')
    assert 'src="compute-hopper.png"' in page


def test_committed_runs_record_stage_one_as_this_view_expects():
    """The paper schedules' bc run trained π_ref (reference_cached false) and its siblings
    reused it: each cached run is charged, none is left uncounted."""
    repo = Path(__file__).resolve().parents[1]
    runs = [r for r in load_runs(repo / "results") if r.schedule == "paper-sampled"]
    costs = run_costs(runs)
    cached = [r for r in runs if r.final.get("reference_cached") is True]
    assert cached and all(costs[id(r)].charged == "charged" for r in cached)
    assert all(costs[id(r)].stage_one_hours > 0 for r in cached)
    final = json.loads((repo / "results" / "paper-sampled" / "curatedrl" / "bc" / "hopper-medium"
                        / "seed0" / "final.json").read_text())
    assert final["reference_cached"] is False
