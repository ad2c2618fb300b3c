"""Leaderboard plots (PNG): learning curves per dataset, aggregate IQM/mean with intervals
(rliable), and performance profiles (rliable)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.configs import dataset_slug
from curatedrl.benchmarks.results import Run
from curatedrl.benchmarks.rundir import atomic_write
from curatedrl.benchmarks.stats import BOOTSTRAP_SEED, algo_matrix, iqm_with_ci, mean_with_ci


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight",
                                             metadata={"Software": None}), binary=True)


def _colors(algos: list[str]) -> dict[str, tuple]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return {a: cmap(list(ALGOS).index(a) % 10) for a in algos}


def _progress(run: Run) -> dict[float, float]:
    """{% of the run's gradient steps: normalised score} (total: final.json's steps, else the
    curve's last step)."""
    total = run.final.get("steps") or max((s for s, _ in run.curve), default=1)
    return {100 * s / total: v for s, v in run.curve}


def learning_curves(runs: list[Run], datasets: list[str], path: Path) -> list[str]:
    """One panel per dataset; returns the algorithms the legend names (all that are drawn)."""
    plt = _pyplot()
    shown = [d for d in datasets if any(r.dataset == d and r.curve for r in runs)]
    if not shown:
        return []
    cols = min(3, len(shown))
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.1 * rows), squeeze=False)
    algos = [a for a in ALGOS if any(r.algo == a for r in runs)]
    colors = _colors(algos)
    handles = {}
    for ax, d in zip(axes.flat, shown):
        for algo in algos:
            # x: share of the run's gradient steps, so schedules of 500 and 1M steps share an axis
            curves = [_progress(r) for r in runs if r.algo == algo and r.dataset == d]
            xs = sorted(set().union(*curves)) if curves else []
            if not xs:
                continue
            values = [[c[x] for c in curves if x in c] for x in xs]
            mean = np.array([np.mean(v) for v in values])
            std = np.array([np.std(v) for v in values])
            handles[algo], = ax.plot(xs, mean, color=colors[algo], marker=".")
            ax.fill_between(xs, mean - std, mean + std, alpha=0.15, color=colors[algo])
        ax.set_title(dataset_slug(d), fontsize=10)
        ax.set_xlabel("% of the run's gradient steps (two-stage: of stage 2)", fontsize=8)
        ax.set_ylabel("normalised score", fontsize=8)
        ax.set_xlim(0, 100)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    shown_algos = [a for a in algos if a in handles]  # the legend names every plotted algorithm
    legend_rows = -(-len(shown_algos) // 5)
    fig.legend([handles[a] for a in shown_algos], shown_algos, loc="lower center",
               ncol=min(5, len(shown_algos)), bbox_to_anchor=(0.5, -0.035 * legend_rows))
    fig.suptitle("Learning curves: mean ± std over seeds", y=1.0)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return shown_algos


def _matrices(last: dict[str, dict[str, list[float]]]) -> dict[str, np.ndarray]:
    found = {algo: algo_matrix(last.get(algo, {})) for algo in ALGOS}
    return {algo: f[1] for algo, f in found.items() if f is not None}


def aggregate(last: dict[str, dict[str, list[float]]], path: Path) -> None:
    from rliable import plot_utils

    plt = _pyplot()
    scores = _matrices(last)
    points, intervals = {}, {}
    for algo, m in scores.items():
        (iq, iq_lo, iq_hi), (mu, mu_lo, mu_hi) = iqm_with_ci(m), mean_with_ci(m)
        points[algo] = np.array([iq, mu])
        intervals[algo] = np.array([[iq_lo, mu_lo], [iq_hi, mu_hi]])
    fig, _ = plot_utils.plot_interval_estimates(
        points, intervals, metric_names=["IQM", "Mean"], algorithms=list(scores),
        colors=_colors(list(scores)), xlabel="Normalised score (last), 95% CI",
        row_height=0.45, xlabel_y_coordinate=-0.5 / (0.45 * len(scores)))
    _save(fig, path)
    plt.close(fig)


def performance_profiles(last: dict[str, dict[str, list[float]]], path: Path) -> None:
    from rliable import library as rly
    from rliable import plot_utils

    plt = _pyplot()
    scores = _matrices(last)
    top = max(float(m.max()) for m in scores.values())
    taus = np.linspace(min(0.0, min(float(m.min()) for m in scores.values())),
                       max(100.0, top), 101)
    np.random.seed(BOOTSTRAP_SEED)
    profiles, cis = rly.create_performance_profile(scores, taus, reps=200)
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_utils.plot_performance_profiles(profiles, taus, performance_profile_cis=cis,
                                         colors=_colors(list(scores)), ax=ax,
                                         xlabel="Normalised score τ")
    ax.legend(list(scores), fontsize=8, loc="upper right")
    _save(fig, path)
    plt.close(fig)


def write_plots(schedule: str, runs: list[Run], datasets: list[str],
                last: dict[str, dict[str, list[float]]], plot_dir: Path, draw: bool = True
                ) -> list[tuple[str, Path]]:
    """Write the schedule's plots (unless not ``draw``); returns (title, path) pairs for the
    markdown."""
    if not runs:
        return []
    plots = [("learning curves", plot_dir / f"{schedule}-learning-curves.png", learning_curves,
              (runs, datasets)),
             ("aggregate scores", plot_dir / f"{schedule}-aggregate.png", aggregate, (last,)),
             ("performance profiles", plot_dir / f"{schedule}-performance-profiles.png",
              performance_profiles, (last,))]
    for _, path, fn, args in plots if draw else []:
        fn(*args, path)
    return [(title, path) for title, path, _, _ in plots]
