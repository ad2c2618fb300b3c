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
    budget_labels, learning_curves, performance_profiles
from curatedrl.benchmarks.leaderboard.plot_style import EXTRA_COLORS, MIN_DELTA_E, algo_colors
from curatedrl.benchmarks.leaderboard.results import Run, load_runs
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


def _lab(color) -> np.ndarray:
    """CIELAB (D65) of a colour, for CIE76 colour differences."""
    rgb = np.array(mcolors.to_rgb(color))
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_colours_are_fixed_distinct_and_never_wrap():
    colors = [mcolors.to_hex(algo_color(a)) for a in ALGOS]
    assert len(set(colors)) == len(ALGOS)  # every registered algorithm has its own colour
    assert len({mcolors.to_hex(c) for c in ALGO_COLORS.values()}) == len(ALGO_COLORS)
    new = [algo_color(f"algo_{i}") for i in range(30)]
    assert algo_color("algo_3") == new[3]  # deterministic, whatever else exists
    assert not set(new) & set(ALGO_COLORS.values())  # an 11th algorithm takes no one's colour


def test_other_algorithms_colours_are_far_from_every_colour_and_each_other():
    """The second palette: each colour at least MIN_DELTA_E from every fixed colour and from
    each other (#632f16, the old hash colour, was 14 from td3_bc's #8c564b)."""
    fixed = list(ALGO_COLORS.values())
    for i, c in enumerate(EXTRA_COLORS):
        for other in fixed + list(EXTRA_COLORS[:i]):
            assert np.linalg.norm(_lab(c) - _lab(other)) >= MIN_DELTA_E, (c, other)
    assert np.linalg.norm(_lab("#632f16") - _lab("#8c564b")) < MIN_DELTA_E  # the check bites
    names = [f"algo_{i}" for i in range(len(EXTRA_COLORS))]
    colors = algo_colors(["bc", "td3_bc"] + names)
    assert len(set(colors.values())) == len(colors)  # one figure: no two share a colour
    assert algo_colors(names) == {n: colors[n] for n in names}  # the fixed ones take no slot
    assert {colors[n] for n in names} == set(EXTRA_COLORS)
    assert colors["bc"] == ALGO_COLORS["bc"]
    alone = algo_colors(["my_new_algo"])["my_new_algo"]
    assert alone == algo_color("my_new_algo") in EXTRA_COLORS


def _run(algo: str, dataset: str, seed: int, curve, ref_steps: int = 0) -> Run:
    return Run("s", {"algo": algo, "dataset": dataset, "seed": seed,
                     "normalized_score_last": curve[-1][1], "steps": curve[-1][0]},
               list(curve), config={"ref_steps": ref_steps} if ref_steps else {})


def test_two_stage_curves_start_after_their_stage_1_steps():
    curve = [(500, 10.0), (1000, 20.0)]
    runs = [_run(a, DS, s, curve, ref_steps=1000 if a == "iw_bc" else 0)
            for a in ("bc", "iw_bc") for s in range(2)]
    fig = learning_curves(runs, [DS], TITLE)
    ax = fig.axes[0]
    lines = {ln.get_label(): list(ln.get_xdata()) for ln in ax.get_lines()
             if not ln.get_label().startswith("_")}
    assert lines == {"bc": [500, 1000], "iw_bc": [1500, 2000]}  # after 1,000 stage-1 steps
    assert ax.get_xlabel() == "total gradient steps (stage 1 + stage 2)"
    assert ax.get_xscale() == "linear" and ax.patches  # the shaded stage-1 band
    assert any(list(ln.get_xdata()) == [1000, 1000] for ln in ax.get_lines())  # its end
    baselines = learning_curves([_run("td3_bc", DS, 0, [(500, 1.0), (30000, 2.0)]),
                                 _run("cql", DS, 0, [(250, 1.0), (550, 2.0)])], [DS], TITLE)
    assert baselines.axes[0].get_xlabel() == "gradient steps, log scale"
    assert baselines.axes[0].get_xscale() == "log"


def test_the_shared_legend_hides_no_tick_label(results):
    fig = learning_curves(load_runs(results), [DS, OTHER], TITLE)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        assert not legend.overlaps(ax.get_window_extent(renderer))
        labels = ax.get_xticklabels() + ax.get_yticklabels() + [ax.xaxis.label]
        for text in labels:
            if text.get_text():
                assert not legend.overlaps(text.get_window_extent(renderer)), text.get_text()


def test_aggregate_plots_name_step_budgets_and_show_a_one_run_row(results):
    runs = load_runs(results)
    labels = budget_labels(runs)
    assert labels["cql"].startswith("cql\n") and " steps (" in labels["cql"]
    assert "of published)" in labels["cql"]
    sec = build_sections(results, draw=False, expected_hash=lambda d: None)[0]
    fig = aggregate(sec.last, TITLE, labels)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [labels.get(a, a) for a in list(ALGOS) + ["my_new_algo"]]
    legend = performance_profiles(sec.last, TITLE, labels).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()][0] == labels["bc"].replace("\n", " ")
    one = aggregate({"bc": {DS: [40.0]}, "iql": {DS: [10.0, 30.0, 50.0]}}, TITLE)
    for ax in one.axes:
        assert all(bar.get_width() > 0 for bar in ax.patches)  # one run: a visible bar
        dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
        assert [list(ln.get_xdata()) for ln in dots][0] == [40.0]


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
