"""Leaderboard plots (PNG): learning curves per dataset, aggregate IQM/mean with intervals and
performance profiles, for one (schedule, data source) section.

Every algorithm has one colour in every plot (``algo_color``: a fixed map for the registered
algorithms, a deterministic colour from the name for any other), legends are built from the
lines themselves, x is in gradient steps, and every figure is titled with its schedule and data
source. PNGs carry no date, so the same results give the same bytes. Names read from results/
are data: matplotlib's math parsing is off while a section draws, so ``$`` is a dollar sign.
"""

from __future__ import annotations

import colorsys
import hashlib
from pathlib import Path

import numpy as np

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.run.records.rundir import atomic_write
from curatedrl.benchmarks.leaderboard.stats import BOOTSTRAP_SEED, algo_matrix, iqm_with_ci, \
    mean_with_ci

# One colour per registered algorithm (matplotlib's tab10), never reused by another algorithm.
ALGO_COLORS = {
    "bc": "#1f77b4", "filtered_bc": "#ff7f0e", "iw_bc": "#2ca02c", "sft_q": "#d62728",
    "iw_bc_q": "#9467bd", "td3_bc": "#8c564b", "iql": "#e377c2", "cql": "#7f7f7f",
    "awac": "#bcbd22", "rebrac": "#17becf",
}


def algo_color(algo: str) -> str:
    """The algorithm's colour: the fixed map, else a colour drawn from a hash of its name (the
    same on every machine and whatever else is registered; darker than every colour of the
    map, so never equal to one)."""
    if algo in ALGO_COLORS:
        return ALGO_COLORS[algo]
    digest = hashlib.sha256(algo.encode()).digest()
    hue, sat, val = digest[0] * 256 + digest[1], digest[2], digest[3]
    r, g, b = colorsys.hsv_to_rgb(hue / 65536, 0.6 + 0.4 * sat / 255, 0.3 + 0.15 * val / 255)
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in (r, g, b)))


def plot_algos(names) -> list[str]:
    """Registry order first, then any other algorithm by name."""
    names = set(names)
    return [a for a in ALGOS if a in names] + sorted(names - set(ALGOS))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=90, bbox_inches="tight",
                                             metadata={"Software": None}), binary=True)


def _quartiles(curves: list[dict[int, float]]) -> tuple[list[int], np.ndarray]:
    """Steps seen by any seed, with (25th, 50th, 75th) percentiles over the seeds at each."""
    steps = sorted(set().union(*curves))
    q = np.array([np.percentile([c[s] for c in curves if s in c], [25, 50, 75]) for s in steps])
    return steps, q


def learning_curves(runs: list[Run], datasets: list[str], title: str):
    """One panel per dataset with results; returns the figure (None when nothing to draw)."""
    plt = _pyplot()
    shown = [d for d in datasets if any(r.dataset == d and r.curve for r in runs)]
    if not shown:
        return None
    cols = min(3, len(shown))
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.1 * rows), squeeze=False)
    algos = plot_algos(r.algo for r in runs)
    handles = {}
    for ax, d in zip(axes.flat, shown):
        budgets, starts = set(), set()
        for algo in algos:
            curves = [dict(r.curve) for r in runs if r.algo == algo and r.dataset == d and r.curve]
            if not curves:
                continue
            steps, q = _quartiles(curves)
            budgets.add(steps[-1])
            starts.add(steps[0])
            color = algo_color(algo)
            handles[algo], = ax.plot(steps, q[:, 1], color=color, marker=".", label=algo)
            ax.fill_between(steps, q[:, 0], q[:, 2], alpha=0.15, color=color, linewidth=0)
        if len(budgets) > 1:  # budgets differ: a log axis keeps the short runs readable
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.set_xticks(sorted(budgets | {min(starts)}))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_formatter("{x:,.0f}")
        ax.set_title(dataset_slug(d), fontsize=10)
        ax.set_xlabel("gradient steps (two-stage algorithms: stage 2)", fontsize=8)
        ax.set_ylabel("normalised score", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    named = [a for a in algos if a in handles]
    fig.legend([handles[a] for a in named], named, loc="lower center",
               ncol=min(5, len(named)), bbox_to_anchor=(0.5, -0.035 * -(-len(named) // 5)))
    fig.suptitle(f"Learning curves, {title}: median and interquartile range over seeds", y=1.0)
    fig.tight_layout()
    return fig


def _matrices(last: dict[str, dict[str, list[float]]]) -> dict[str, np.ndarray]:
    found = {algo: algo_matrix(last[algo]) for algo in plot_algos(last) if last[algo]}
    return {algo: f[1] for algo, f in found.items() if f is not None}


def aggregate(last: dict[str, dict[str, list[float]]], title: str):
    """IQM and mean of the last scores with 95% stratified-bootstrap intervals, one row per
    algorithm (label and interval in its colour)."""
    plt = _pyplot()
    scores = _matrices(last)
    if not scores:
        return None
    algos = list(scores)
    fig, axes = plt.subplots(1, 2, figsize=(8, 0.45 * len(algos) + 1.2), sharey=True)
    for ax, (name, fn) in zip(axes, [("IQM", iqm_with_ci), ("Mean", mean_with_ci)]):
        for y, algo in enumerate(algos):
            point, lo, hi = fn(scores[algo])
            ax.barh(y, hi - lo, left=lo, height=0.6, color=algo_color(algo), alpha=0.75)
            ax.plot([point, point], [y - 0.3, y + 0.3], color="black", linewidth=1.5)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("normalised score (last), 95% CI", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(algos)), algos)
    for label in axes[0].get_yticklabels():
        label.set_color(algo_color(label.get_text()))
    axes[0].invert_yaxis()
    fig.suptitle(f"Aggregate scores, {title}", y=1.0)
    fig.tight_layout()
    return fig


def performance_profiles(last: dict[str, dict[str, list[float]]], title: str):
    """Fraction of runs scoring above τ, with 95% bootstrap bands (rliable)."""
    from rliable import library as rly

    plt = _pyplot()
    scores = _matrices(last)
    if not scores:
        return None
    top = max(float(m.max()) for m in scores.values())
    taus = np.linspace(min(0.0, min(float(m.min()) for m in scores.values())),
                       max(100.0, top), 101)
    np.random.seed(BOOTSTRAP_SEED)
    profiles, cis = rly.create_performance_profile(scores, taus, reps=200)
    fig, ax = plt.subplots(figsize=(7, 4))
    for algo in scores:
        color = algo_color(algo)
        ax.plot(taus, profiles[algo], color=color, label=algo, linewidth=1.5)
        ax.fill_between(taus, cis[algo][0], cis[algo][1], color=color, alpha=0.12, linewidth=0)
    ax.legend(fontsize=8, loc="upper right")  # only the labelled lines: one entry per algorithm
    ax.set_xlabel("normalised score τ (last)", fontsize=9)
    ax.set_ylabel("fraction of runs with score > τ", fontsize=9)
    ax.grid(alpha=0.3)
    ax.set_title(f"Performance profiles, {title}", fontsize=10)
    fig.tight_layout()
    return fig


def write_plots(slug: str, title: str, runs: list[Run], datasets: list[str],
                last: dict[str, dict[str, list[float]]], plot_dir: Path, draw: bool = True
                ) -> list[tuple[str, Path]]:
    """Write a section's plots (unless not ``draw``) as ``<plot_dir>/<slug>-<name>.png``;
    returns (title, path) pairs for the pages."""
    if not runs:
        return []
    plots = [("learning curves", "learning-curves", learning_curves, (runs, datasets)),
             ("aggregate scores", "aggregate", aggregate, (last,)),
             ("performance profiles", "performance-profiles", performance_profiles, (last,))]
    if not any(r.curve for r in runs):  # decided from the runs, so drawing or not lists the same
        plots = plots[1:]
    out = []
    for name, stem, fn, args in plots:
        path = plot_dir / f"{slug}-{stem}.png"
        if draw:
            plt = _pyplot()
            with plt.rc_context({"text.parse_math": False}):
                fig = fn(*args, title)
                save(fig, path)
            plt.close(fig)
        out.append((name, path))
    return out
