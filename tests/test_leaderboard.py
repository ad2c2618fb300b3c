"""`curatedrl leaderboard`: tables from results/ only, identical rebuilds, bad files skipped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.budget import budget_rows, compute_rows, dataset_compute_rows
from curatedrl.benchmarks.leaderboard.sections import suite_datasets
from curatedrl.benchmarks.leaderboard.plots import budget_labels, learning_curves
from curatedrl.benchmarks.leaderboard.results import load_runs
from curatedrl.benchmarks.leaderboard.stats import full_seed_datasets, iqm_with_ci, \
    probability_of_improvement
from tests.leaderboard_runs import DS, write_run

REPO = Path(__file__).resolve().parents[1]


def _row(text: str, label: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_tables_count_seeds_and_name_every_algo_and_dataset(tmp_path):
    for seed, (a, b) in enumerate([(10.0, 20.0), (12.0, 24.0), (14.0, 28.0)]):
        write_run(tmp_path / "r", "filtered_bc", seed, a)
        write_run(tmp_path / "r", "iw_bc", seed, b)
    write_run(tmp_path / "r", "cql", 0, 5.0, dataset="curatedrl/hopper/medium-replay-v0")
    text = build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "plots")
    header = _row(text, "dataset")
    assert header[1:] == ["filtered_bc", "iw_bc", "cql"]  # the algorithms with runs here
    row = _row(text, "hopper-medium")
    assert row[header.index("filtered_bc")] == "12.0 ± 2.0 (3)"
    assert row[header.index("iw_bc")] == "24.0 ± 4.0 (3)"
    assert row[header.index("cql")] == "— (0)"
    others = [dataset_slug(d) for d in suite_datasets()][2:]
    assert f"datasets without runs: {', '.join(others)}." in text  # named, not tabled
    assert all(f"| {d} |" not in text for d in others)
    algos = ", ".join(a for a in ALGOS if a not in header)
    assert f"Algorithms without runs in this section: {algos};" in text
    claim = _row(text, "iw_bc vs filtered_bc")  # +10, +12, +14 on the three paired seeds
    assert claim[1:5] == ["1", "3", "X higher on 1 of 1", "1.00"]
    assert "**hopper average**" not in text  # no algorithm has every hopper dataset
    for name in ("learning-curves", "aggregate", "performance-profiles"):
        assert (tmp_path / "plots" / f"cpu-{name}.png").stat().st_size > 1000


def test_learning_curves_legend_names_algorithms_drawn_on_any_panel(tmp_path):
    other = "curatedrl/walker2d/medium-v0"
    write_run(tmp_path / "r", "bc", 0, 10.0)
    write_run(tmp_path / "r", "iql", 0, 20.0, dataset=other)  # not on the first panel
    runs = load_runs(tmp_path / "r")
    fig = learning_curves(runs, [DS, other], "schedule cpu, data curatedrl")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["bc", "iql"]


def test_rebuild_is_byte_identical(tmp_path):
    rng = np.random.default_rng(0)
    for algo in ("bc", "iw_bc", "td3_bc"):
        for seed in range(4):
            write_run(tmp_path / "r", algo, seed, float(rng.normal(30, 10)))
    a = build(tmp_path / "r", tmp_path / "a.md", tmp_path / "p", draw=False)
    b = build(tmp_path / "r", tmp_path / "b.md", tmp_path / "p", draw=False)
    assert a == b and (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()


def test_corrupt_partial_and_failed_files_are_skipped_with_a_warning(tmp_path):
    good = write_run(tmp_path / "r", "bc", 0, 10.0)
    torn = write_run(tmp_path / "r", "bc", 1, 50.0)
    (torn / "final.json").write_text('{"algo": "bc", "dat')
    partial = write_run(tmp_path / "r", "bc", 2, 50.0)
    (partial / "final.json").write_text(json.dumps({"algo": "bc", "seed": 2}))
    failed = write_run(tmp_path / "r", "bc", 3, 50.0)
    (failed / "final.json").write_text(json.dumps({
        "algo": "bc", "dataset": DS, "seed": 3, "status": "failed",
        "normalized_score_last": 50.0, "normalized_score_best": 50.0}))
    (good / "eval.csv").write_text("step,normalized_mean\n5,oops\n")
    with pytest.warns(UserWarning) as caught:
        text = build(tmp_path / "r", tmp_path / "LB.md", tmp_path / "plots")
    messages = " ".join(str(w.message) for w in caught)
    for path in (torn, partial, failed):
        assert str(path / "final.json") in messages
    assert str(good / "eval.csv") in messages
    assert _row(text, "hopper-medium")[1] == "10.0 (1)"


def test_bootstrap_statistics_match_rliable_definitions():
    from rliable import metrics

    rng = np.random.default_rng(1)
    x, y = rng.normal(50, 10, size=(5, 9)), rng.normal(45, 10, size=(5, 9))
    iqm, lo, hi = iqm_with_ci(x)
    assert iqm == pytest.approx(metrics.aggregate_iqm(x)) and lo < iqm < hi
    p, lo, hi = probability_of_improvement(x, y)
    assert p == pytest.approx(metrics.probability_of_improvement(x, y)) and lo < p < hi
    assert probability_of_improvement(x + 100, x) == (1.0, 1.0, 1.0)
    assert probability_of_improvement(x, x)[0] == pytest.approx(0.5)
    assert iqm_with_ci(x) == iqm_with_ci(x.copy())  # fixed seed: same interval every time
    # a dataset whose sweep has only started does not cut the others down to its seed count
    assert full_seed_datasets({"a": 5, "b": 1, "c": 5, "d": 0}) == ["a", "c"]


def test_committed_leaderboard_is_rebuilt_byte_identical(tmp_path):
    """What `make leaderboard` does on a fresh clone: the committed file comes back unchanged."""
    committed = REPO / "LEADERBOARD.md"
    text = build(REPO / "results", tmp_path / "LEADERBOARD.md", Path("docs") / "leaderboard",
                 draw=False)
    assert text == committed.read_text(), "LEADERBOARD.md is stale: run `make leaderboard`"


def test_each_section_states_the_steps_trained_and_their_fraction_of_the_published_budget(
        tmp_path):
    write_run(tmp_path, "td3_bc", 0, 10.0, steps=30_000)
    write_run(tmp_path, "cql", 0, 5.0, steps=550)
    write_run(tmp_path, "iw_bc", 0, 30.0, steps=500,
              config={"steps": 500, "ref_steps": 1000, "steps_per_episode": 8})
    rows = budget_rows(load_runs(tmp_path))
    assert rows == [("iw_bc", "500 + 1,000 stage 1", "2,000 + 10,000 stage 1",
                     "12.5%, on 8 sampled steps per episode"),
                    ("td3_bc", "30,000", "1,000,000", "3.0%"),
                    ("cql", "550", "1,000,000", "0.055%")]
    build(tmp_path, tmp_path / "LB.md", tmp_path / "plots")
    assert ("td3_bc 30,000 of 1,000,000 (3.0%)" in (tmp_path / "LB.md").read_text())


def test_each_section_states_its_compute_counting_a_stacked_process_once(tmp_path):
    for seed in range(3):  # one process trained the three seeds: its hour counts once
        write_run(tmp_path, "td3_bc", seed, 10.0,
                  final={"wall_time_s": 3600.0, "stacked_seeds": [0, 1, 2]})
    write_run(tmp_path, "bc", 0, 5.0, final={"wall_time_s": 1800.0})
    assert compute_rows(load_runs(tmp_path)) == [("bc", 1, 0.5), ("td3_bc", 3, 1.0)]
    build(tmp_path, tmp_path / "LB.md", tmp_path / "plots", draw=False)
    assert "1.5 h of run wall time in all" in (tmp_path / "LB.md").read_text()


def test_compute_per_dataset_sums_each_dataset_and_averages_each_algorithm(tmp_path):
    other = "curatedrl/walker2d/medium-replay-v0"
    for seed in range(3):  # stacked: 3600 s shared by three seeds
        write_run(tmp_path, "td3_bc", seed, 10.0,
                  final={"wall_time_s": 3600.0, "stacked_seeds": [0, 1, 2]})
    write_run(tmp_path, "bc", 0, 5.0, final={"wall_time_s": 60.0})
    write_run(tmp_path, "bc", 1, 5.0, final={"wall_time_s": 180.0})
    write_run(tmp_path, "bc", 0, 5.0, dataset=other, final={"wall_time_s": 720.0})
    rows = dataset_compute_rows(load_runs(tmp_path), [DS, "curatedrl/halfcheetah/medium-v0", other])
    assert rows == [(DS, 5, pytest.approx(3840.0 / 3600.0),
                     {"bc": pytest.approx(2.0), "td3_bc": pytest.approx(20.0)}),
                    (other, 1, pytest.approx(0.2), {"bc": pytest.approx(12.0)})]  # none: no row
    build(tmp_path, tmp_path / "LB.md", tmp_path / "plots", draw=False, site=True)
    text = (tmp_path / "LB.md").read_text()
    assert f"| {dataset_slug(DS)} | 5 | 1.07 h | 2.0 | 20.0 |" in text
    assert f"| {dataset_slug(other)} | 1 | 0.20 h | 12.0 | — |" in text
    assert "Compute per dataset" in (tmp_path / "plots" / "index.html").read_text()


def test_claims_are_read_per_dataset_by_seed_with_holm(tmp_path):
    other = "curatedrl/walker2d/medium-replay-v0"
    for seed, ahead in enumerate([20.0, 22.0, 25.0]):  # d = 10, 11, 13 on DS
        write_run(tmp_path, "filtered_bc", seed, 10.0 + seed)
        write_run(tmp_path, "iw_bc", seed, ahead)
        write_run(tmp_path, "filtered_bc", seed, 30.0 + seed, dataset=other)
        write_run(tmp_path, "iw_bc", seed, 1.0 + 100 * (seed % 2), dataset=other)  # mixed
    write_run(tmp_path, "iw_bc", 3, 90.0, dataset=other)  # no filtered_bc seed 3: unpaired
    for seed in (0, 5):
        write_run(tmp_path, "bc", seed, 1.0)  # two seeds, one paired: too few
    text = build(tmp_path, tmp_path / "LB.md", tmp_path / "plots", draw=False)
    header = _row(text, "dataset")  # the score table's header comes first
    assert header[1:] == ["bc", "filtered_bc", "iw_bc"]
    claims = [ln for ln in text.splitlines() if ln.startswith("| dataset | iw_bc vs")]
    assert claims == ["| dataset | iw_bc vs filtered_bc | filtered_bc vs bc | iw_bc vs bc |"]
    table = text[text.index(claims[0]):]
    # the t-interval from scipy; Holm over DS and the other dataset: p × 2
    from scipy import stats

    d = np.array([10.0, 11.0, 13.0])
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    p = stats.ttest_1samp(d, 0.0).pvalue
    assert 0.001 < 2 * p < 0.05
    assert _row(table, dataset_slug(DS))[1:] == [
        f"+11.3 [{d.mean() - half:+.1f}, {d.mean() + half:+.1f}], p_Holm {2 * p:.3f}, "
        "X higher; sign-flip p 0.250, 3 pairs", "too few seeds (1 pairs)",
        "too few seeds (1 pairs)"]
    mixed = _row(table, dataset_slug(other))
    assert "not separated; sign-flip p" in mixed[1] and mixed[1].endswith("3 pairs")
    assert mixed[2:] == ["—", "—"]  # no bc runs there
    assert _row(text, "iw_bc vs bc")[1:4] == ["0", "—", "too few seeds on 1 of 1"]


def test_an_algorithm_outside_the_registry_keeps_its_steps_and_compute_with_an_unknown_budget(
        tmp_path):
    write_run(tmp_path, "td3_bc", 0, 10.0, steps=30_000, final={"wall_time_s": 3600.0})
    write_run(tmp_path, "my_new_algo", 0, 12.0, steps=5_000, final={"wall_time_s": 1800.0})
    runs = load_runs(tmp_path)
    assert budget_rows(runs)[-1] == ("my_new_algo", "5,000", "—",
                                     "published budget unknown: not in the registry")
    assert compute_rows(runs) == [("td3_bc", 1, 1.0), ("my_new_algo", 1, 0.5)]
    (_, _, _, minutes), = dataset_compute_rows(runs, [DS])
    assert minutes == {"td3_bc": 60.0, "my_new_algo": 30.0}
    labels = budget_labels(runs)
    assert labels["my_new_algo"] == "my_new_algo\n5,000 steps (published budget unknown)"
    assert labels["td3_bc"] == "td3_bc\n30,000 steps (3.0% of published)"
