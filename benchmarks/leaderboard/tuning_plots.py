"""The tuning-budget figures of a section (``tuning_view.py``): one PNG per dataset group (env),
one panel per dataset, the expected score of the selected policy against the number of online
evaluation episodes (log x), one line per algorithm in its colour with its 95% bootstrap band."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curatedrl.benchmarks.leaderboard.compute_plots import log_x, pyplot
from curatedrl.benchmarks.leaderboard.escaping import safe_id
from curatedrl.benchmarks.leaderboard.plots import algo_color, save
from curatedrl.datasets.ids import dataset_slug


def _env(dataset: str) -> str:
    return dataset_slug(dataset).split("-", 1)[0]


def tuning_figure(view, datasets: list[str], title: str):
    plt = pyplot()
    panels = [d for d in datasets if any(key[1] == d for key in view.curves)]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.4), squeeze=False)
    handles: dict[str, object] = {}
    for ax, d in zip(axes.flat, panels):
        for (algo, dataset), c in view.curves.items():
            if dataset != d:
                continue
            n = np.arange(1, len(c.mean) + 1)
            color = algo_color(algo)
            handles[algo], = ax.plot(n, c.mean, color=color, linewidth=1.4)
            ax.fill_between(n, c.lo, c.hi, color=color, alpha=0.15, linewidth=0)
        log_x(ax, 0.9, len(c.mean) * 1.1)
        ax.set_title(dataset_slug(d), fontsize=10)
        ax.set_xlabel("online evaluation episodes n (log scale)", fontsize=8)
        ax.set_ylabel("expected score of the selected policy", fontsize=8)
        ax.grid(alpha=0.3, which="both")
    fig.legend(list(handles.values()), list(handles), loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncol=min(5, len(handles)), fontsize=8)
    fig.suptitle(f"Tuning budget (UCB bandit), {title}: mean and 95% bootstrap interval",
                 fontsize=9, y=1.02)
    fig.tight_layout()
    return fig


def write_tuning_plots(sec, view, plot_dir: Path, draw: bool = True) -> list[tuple[str, Path]]:
    """``<plot_dir>/<section slug>-tuning-<env>.png`` per env with a curve."""
    envs: dict[str, list[str]] = {}
    for d in sec.datasets:
        envs.setdefault(_env(d), []).append(d)
    out = []
    for env, datasets in envs.items():
        if not any(key[1] in datasets for key in view.curves):
            continue
        path = plot_dir / f"{sec.slug}-tuning-{safe_id(env)}.png"
        if draw:
            plt = pyplot()
            with plt.rc_context({"text.parse_math": False}):
                fig = tuning_figure(view, datasets, sec.title)
                save(fig, path)
            plt.close(fig)
        out.append((f"tuning budget, {env}", path))
    return out
