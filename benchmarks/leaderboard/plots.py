"""Leaderboard plots (PNG): learning curves per dataset, aggregate IQM/mean with intervals and
performance profiles, for one (schedule, data source) section.

Every algorithm has one colour in every plot (``plot_style.py``), legends are built from the
lines themselves, the learning curves' x is the runs' total gradient steps (``plot_curves.py``),
the aggregate plots name each algorithm's step budget beside it (``budget_labels``), and every
figure is titled with its schedule and data source. PNGs carry no date, so the same results
give the same bytes. Names read from results/ are data: matplotlib's math parsing is off while a
section draws, so ``$`` is a dollar sign.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curatedrl.benchmarks.leaderboard.budget import budget_rows
from curatedrl.benchmarks.leaderboard.plot_curves import learning_curves
from curatedrl.benchmarks.leaderboard.plot_style import ALGO_COLORS, algo_color, algo_colors, \
    plot_algos, pyplot as _pyplot
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.run.records.rundir import atomic_write
from curatedrl.benchmarks.leaderboard.stats import BOOTSTRAP_SEED, algo_matrix, iqm_with_ci, \
    mean_with_ci

__all__ = ["ALGO_COLORS", "aggregate", "algo_color", "budget_labels", "learning_curves",
           "performance_profiles", "plot_algos", "write_plots"]
MIN_BAR = 0.01  # an interval of zero width (one run) is drawn this fraction of the axis wide


def save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=90, bbox_inches="tight",
                                             metadata={"Software": None}), binary=True)


def _steps(trained: str) -> str:
    """``budget.py``'s "2,000 + 10,000 stage 1" as "2,000 steps + 10,000 stage 1"."""
    return ", ".join(part.replace(" + ", " steps + ", 1) if " + " in part else f"{part} steps"
                     for part in trained.split(", "))


def budget_labels(runs: list[Run]) -> dict[str, str]:
    """Per algorithm with runs, its name over the gradient steps it trained and their
    fraction of its published budget (``budget.py``), for the aggregate plots: methods trained
    for very different budgets are ranked side by side there."""
    def budget(pub: str, frac: str) -> str:
        return "(published budget unknown)" if pub == "—" else \
            f"({frac.split(', on ')[0]} of published)"

    return {algo: f"{algo}\n{_steps(steps)} {budget(pub, frac)}"
            for algo, steps, pub, frac in budget_rows(runs)}


def _matrices(last: dict[str, dict[str, list[float]]]) -> dict[str, np.ndarray]:
    found = {algo: algo_matrix(last[algo]) for algo in plot_algos(last) if last[algo]}
    return {algo: f[1] for algo, f in found.items() if f is not None}


def _label(labels: dict[str, str] | None, algo: str) -> str:
    return (labels or {}).get(algo, algo)


def aggregate(last: dict[str, dict[str, list[float]]], title: str,
              labels: dict[str, str] | None = None):
    """IQM and mean of the last scores with 95% stratified-bootstrap intervals, one row per
    algorithm (label and interval in its colour; ``labels`` add its step budget). The point is
    drawn as a dot and an interval of zero width (one run) as a bar ``MIN_BAR`` of the axis
    wide, so no row is empty."""
    plt = _pyplot()
    scores = _matrices(last)
    if not scores:
        return None
    algos = list(scores)
    colors = algo_colors(algos)
    lines = max(_label(labels, a).count("\n") + 1 for a in algos)
    fig, axes = plt.subplots(1, 2, figsize=(8.5, (0.3 + 0.15 * lines) * len(algos) + 1.2),
                             sharey=True)
    for ax, (name, fn) in zip(axes, [("IQM", iqm_with_ci), ("Mean", mean_with_ci)]):
        found = {algo: fn(scores[algo]) for algo in algos}
        low = min(lo for _, lo, _ in found.values())
        span = max(max(hi for _, _, hi in found.values()) - low, 1.0)
        for y, algo in enumerate(algos):
            point, lo, hi = found[algo]
            width = max(hi - lo, MIN_BAR * span)
            ax.barh(y, width, left=(lo + hi - width) / 2, height=0.6, color=colors[algo],
                    alpha=0.75)
            ax.plot([point, point], [y - 0.3, y + 0.3], color="black", linewidth=1.5)
            ax.plot([point], [y], marker="o", markersize=5, color=colors[algo],
                    markeredgecolor="black", linestyle="none")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("normalised score (last), 95% CI", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(algos)), [_label(labels, a) for a in algos], fontsize=8)
    for label, algo in zip(axes[0].get_yticklabels(), algos):
        label.set_color(colors[algo])
    axes[0].invert_yaxis()
    fig.suptitle(f"Aggregate scores, {title}", y=1.0)
    fig.tight_layout()
    return fig


def performance_profiles(last: dict[str, dict[str, list[float]]], title: str,
                         labels: dict[str, str] | None = None):
    """Fraction of runs scoring above τ, with 95% bootstrap bands (rliable); the legend names
    each algorithm with its step budget (``labels``)."""
    from rliable import library as rly

    plt = _pyplot()
    scores = _matrices(last)
    if not scores:
        return None
    colors = algo_colors(list(scores))
    top = max(float(m.max()) for m in scores.values())
    taus = np.linspace(min(0.0, min(float(m.min()) for m in scores.values())),
                       max(100.0, top), 101)
    np.random.seed(BOOTSTRAP_SEED)
    profiles, cis = rly.create_performance_profile(scores, taus, reps=200)
    fig, ax = plt.subplots(figsize=(7, 4))
    for algo in scores:
        color = colors[algo]
        ax.plot(taus, profiles[algo], color=color, linewidth=1.5,
                label=_label(labels, algo).replace("\n", " "))
        ax.fill_between(taus, cis[algo][0], cis[algo][1], color=color, alpha=0.12, linewidth=0)
    ax.set_xlabel("normalised score τ (last)", fontsize=9)
    ax.set_ylabel("fraction of runs with score > τ", fontsize=9)
    ax.grid(alpha=0.3)
    ax.set_title(f"Performance profiles, {title}", fontsize=10)
    fig.tight_layout()
    # only the labelled lines: one entry per algorithm; below the axes, hiding no line
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              bbox_transform=fig.transFigure, ncol=2, frameon=False)
    return fig


def write_plots(slug: str, title: str, runs: list[Run], datasets: list[str],
                last: dict[str, dict[str, list[float]]], plot_dir: Path, draw: bool = True
                ) -> list[tuple[str, Path]]:
    """Write a section's plots (unless not ``draw``) as ``<plot_dir>/<slug>-<name>.png``;
    returns (title, path) pairs for the pages."""
    if not runs:
        return []
    labels = budget_labels(runs) if draw else {}
    plots = [("learning curves", "learning-curves",
              lambda: learning_curves(runs, datasets, title)),
             ("aggregate scores", "aggregate", lambda: aggregate(last, title, labels)),
             ("performance profiles", "performance-profiles",
              lambda: performance_profiles(last, title, labels))]
    if not any(r.curve for r in runs):  # decided from the runs, so drawing or not lists the same
        plots = plots[1:]
    out = []
    for name, stem, draw_figure in plots:
        path = plot_dir / f"{slug}-{stem}.png"
        if draw:
            plt = _pyplot()
            with plt.rc_context({"text.parse_math": False}):
                fig = draw_figure()
                save(fig, path)
            plt.close(fig)
        out.append((name, path))
    return out
