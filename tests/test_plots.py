"""Leaderboard plots tell the truth: legend entries read back from the matplotlib artists name
the line they sit next to, in that algorithm's one colour, and every figure names its section."""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.sections import build_sections
from curatedrl.benchmarks.leaderboard.plots import ALGO_COLORS, aggregate, algo_color, \
    learning_curves, performance_profiles
from curatedrl.benchmarks.leaderboard.results import load_runs
from tests.leaderboard_runs import DS, write_run

TITLE = "schedule cpu, data curatedrl"
OTHER = "curatedrl/walker2d/medium-v0"


@pytest.fixture()
def results(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    for i, algo in enumerate(list(ALGOS) + ["my_new_algo"]):
        for seed in range(3):
            for ds in (DS, OTHER):
                write_run(tmp_path / "r", algo, seed, float(rng.normal(20 + 3 * i, 5)), ds,
                          steps=500 if i % 2 else 3000)
    return tmp_path / "r"


def _same(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def _legend_pairs(legend) -> list[tuple[str, object]]:
    return [(text.get_text(), handle.get_color())
            for text, handle in zip(legend.get_texts(), legend.legend_handles)]


def test_colours_are_fixed_distinct_and_never_wrap():
    colors = [mcolors.to_hex(algo_color(a)) for a in ALGOS]
    assert len(set(colors)) == len(ALGOS)  # every registered algorithm has its own colour
    assert len({mcolors.to_hex(c) for c in ALGO_COLORS.values()}) == len(ALGO_COLORS)
    new = [algo_color(f"algo_{i}") for i in range(30)]
    assert algo_color("algo_3") == new[3]  # deterministic, whatever else exists
    assert not set(new) & set(ALGO_COLORS.values())  # an 11th algorithm takes no one's colour
    assert len(set(new)) == len(new)


def test_learning_curves_legend_names_each_line_in_its_colour(results):
    fig = learning_curves(load_runs(results), [DS, OTHER], TITLE)
    pairs = _legend_pairs(fig.legends[0])
    assert [name for name, _ in pairs] == list(ALGOS) + ["my_new_algo"]
    for name, color in pairs:
        assert _same(color, algo_color(name)), name
    for ax in fig.axes[:2]:  # every labelled line on a panel has its algorithm's colour
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert len(lines) == len(pairs)
        for ln in lines:
            assert _same(ln.get_color(), algo_color(ln.get_label()))
        assert ax.get_xscale() == "log"  # budgets of 500 and 3,000 steps
        assert "gradient steps" in ax.get_xlabel()
        assert max(ln.get_xdata()[-1] for ln in lines) == 3000  # x in steps, not in percent
    assert TITLE in fig._suptitle.get_text()


def test_performance_profiles_legend_has_one_entry_per_line(results):
    sec = build_sections(results, draw=False, expected_hash=lambda d: None)[0]
    fig = performance_profiles(sec.last, TITLE)
    ax = fig.axes[0]
    pairs = _legend_pairs(ax.get_legend())
    assert [name for name, _ in pairs] == list(ALGOS) + ["my_new_algo"]
    for name, color in pairs:  # the bands carry no label, so no entry is shifted onto them
        assert _same(color, algo_color(name)), name
    assert TITLE in ax.get_title()


def test_aggregate_rows_are_in_their_algorithms_colours(results):
    sec = build_sections(results, draw=False, expected_hash=lambda d: None)[0]
    fig = aggregate(sec.last, TITLE)
    labels = fig.axes[0].get_yticklabels()
    assert [t.get_text() for t in labels] == list(ALGOS) + ["my_new_algo"]
    for text, bar in zip(labels, fig.axes[0].patches):
        assert _same(text.get_color(), algo_color(text.get_text()))
        assert _same(bar.get_facecolor()[:3], algo_color(text.get_text()))
    assert TITLE in fig._suptitle.get_text()


def test_plots_are_byte_identical_on_rebuild(results, tmp_path):
    build_sections(results, tmp_path / "a", expected_hash=lambda d: None)
    build_sections(results, tmp_path / "b", expected_hash=lambda d: None)
    names = sorted(p.name for p in (tmp_path / "a").glob("*.png"))
    assert names == ["cpu-aggregate.png", "cpu-learning-curves.png",
                     "cpu-performance-profiles.png"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
