"""The learning-curve figure of a leaderboard section: one panel per dataset, the median and
interquartile range over seeds of each algorithm's evaluations.

x is the run's total gradient steps: a two-stage algorithm (one whose config.yaml has
``ref_steps``, its stage 1) is evaluated during stage 2 only, so its curve starts after its
stage-1 steps, and a shaded band with a dashed line marks where stage 1 ends. When the step
budgets of a panel differ by more than ``LOG_RATIO`` its x axis is log-scaled and says so. One
legend for the whole grid sits below it, outside every panel, so it hides no tick label.
"""

from __future__ import annotations

import numpy as np

from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.benchmarks.leaderboard.plot_style import algo_colors, plot_algos, pyplot

LOG_RATIO = 5.0  # budgets further apart than this: a log x axis keeps the short runs readable
STAGE1_SHADE = "0.92"


def stage1_steps(run: Run) -> int:
    """The stage-1 gradient steps a run trained before its evaluated stage (0 for one stage)."""
    return int((run.config or {}).get("ref_steps") or 0)


def shifted_curve(run: Run) -> dict[int, float]:
    """The run's evaluations at its total gradient steps (stage 1 + stage 2)."""
    offset = stage1_steps(run)
    return {offset + int(step): value for step, value in run.curve}


def _quartiles(curves: list[dict[int, float]]) -> tuple[list[int], np.ndarray]:
    """Steps seen by any seed, with (25th, 50th, 75th) percentiles over the seeds at each."""
    steps = sorted(set().union(*curves))
    q = np.array([np.percentile([c[s] for c in curves if s in c], [25, 50, 75]) for s in steps])
    return steps, q


def x_label(two_stage: bool, log: bool) -> str:
    label = "total gradient steps (stage 1 + stage 2)" if two_stage else "gradient steps"
    return label + (", log scale" if log else "")


def _mark_stage1(ax, offsets: set[int], log: bool) -> None:
    """A shaded band over stage 1 (from the axis' left edge) and a dashed line where it ends."""
    left, right = ax.get_xlim()
    for end in sorted(offsets):
        ax.axvspan(left, end, color=STAGE1_SHADE, zorder=0, linewidth=0)
        ax.axvline(end, color="0.45", linestyle="--", linewidth=0.8, zorder=1)
        ax.annotate("two-stage: stage 1", xy=(end, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(-3, -3), textcoords="offset points", ha="right", va="top",
                    fontsize=7, color="0.35")
    ax.set_xlim(left, right)


def _panel(ax, runs: list[Run], dataset: str, algos: list[str], colors: dict[str, str],
           handles: dict) -> tuple[bool, bool]:
    """Draws one dataset's panel; returns (has a two-stage algorithm, x is log-scaled)."""
    budgets, starts, offsets = set(), set(), set()
    for algo in algos:
        mine = [r for r in runs if r.algo == algo and r.dataset == dataset and r.curve]
        if not mine:
            continue
        steps, q = _quartiles([shifted_curve(r) for r in mine])
        budgets.add(steps[-1])
        starts.add(steps[0])
        offsets |= {stage1_steps(r) for r in mine} - {0}
        color = colors[algo]
        handles[algo], = ax.plot(steps, q[:, 1], color=color, marker=".", label=algo)
        ax.fill_between(steps, q[:, 0], q[:, 2], alpha=0.15, color=color, linewidth=0)
    log = max(budgets) > LOG_RATIO * min(budgets)
    if log:
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ax.set_xticks(sorted(budgets | {min(starts)} | offsets))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_xlim(left=0)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_formatter("{x:,.0f}")
    if offsets:
        _mark_stage1(ax, offsets, log)
    ax.set_title(dataset_slug(dataset), fontsize=10)
    ax.set_ylabel("normalised score", fontsize=8)
    ax.grid(alpha=0.3)
    return bool(offsets), log


def learning_curves(runs: list[Run], datasets: list[str], title: str):
    """One panel per dataset with results; returns the figure (None when nothing to draw)."""
    plt = pyplot()
    shown = [d for d in datasets if any(r.dataset == d and r.curve for r in runs)]
    if not shown:
        return None
    cols = min(3, len(shown))
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.1 * rows), squeeze=False)
    algos = plot_algos(r.algo for r in runs)
    colors = algo_colors(algos)
    handles: dict = {}
    for ax, d in zip(axes.flat, shown):
        two_stage, log = _panel(ax, runs, d, algos, colors, handles)
        ax.set_xlabel(x_label(two_stage, log), fontsize=8)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle(f"Learning curves, {title}: median and interquartile range over seeds", y=1.0)
    fig.tight_layout()
    named = [a for a in algos if a in handles]
    # below the grid, outside every panel: tight_layout has put the tick labels above y = 0
    fig.legend([handles[a] for a in named], named, loc="upper center", frameon=False,
               ncol=min(5, len(named)), bbox_to_anchor=(0.5, 0.0), fontsize=9)
    return fig
