"""The score-against-compute figures (``compute_view.py``): one PNG per dataset group (env),
one panel per dataset, one line per (algorithm, schedule, machine) in the algorithm's colour
(``plots.algo_color``) and the schedule's line style, log-x in core-hours per run, the published
budget marked (☆, or an arrow at the axis edge when off the plot), the machines written under
the figure. Same results, same bytes (no date in the PNG; matplotlib's math parsing off)."""

from __future__ import annotations

from pathlib import Path

from curatedrl.benchmarks.leaderboard.escaping import safe_id
from curatedrl.benchmarks.leaderboard.plots import algo_color, save
from curatedrl.datasets.ids import dataset_slug

STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P"]


def pyplot():
    """matplotlib's pyplot on the file-only backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _env(dataset: str) -> str:
    return dataset_slug(dataset).split("-", 1)[0]


def _groups(datasets: list[str]) -> list[tuple[str, list[str]]]:
    envs = list(dict.fromkeys(_env(d) for d in datasets))
    return [(env, [d for d in datasets if _env(d) == env]) for env in envs]


def compute_figure(view, env: str, datasets: list[str]):
    """The env's figure (None when none of its datasets has a timed curve)."""
    plt = pyplot()
    panels = [(d, view.lines(d)) for d in datasets]
    panels = [(d, lines) for d, lines in panels if lines]
    if not panels:
        return None
    hardware = sorted({ln.hardware for _, lines in panels for ln in lines})
    fig, axes = plt.subplots(len(panels), 1, figsize=(9.0, 3.6 * len(panels)), squeeze=False)
    handles: dict[str, object] = {}
    for ax, (d, lines) in zip(axes.flat, panels):
        lo = min(float(ln.hours.min()) for ln in lines) / 1.6
        hi = max(float(ln.hours.max()) for ln in lines) * 1.6
        for ln in lines:
            i = view.schedules.index(ln.schedule)
            color = algo_color(ln.algo)
            label = f"{ln.algo} · {ln.schedule}" + \
                (f" · [{hardware.index(ln.hardware) + 1}]" if len(hardware) > 1 else "")
            handles[label], = ax.plot(ln.hours, ln.mean, color=color, linestyle=STYLES[i % 4],
                                      marker=MARKERS[i % len(MARKERS)], markersize=3,
                                      linewidth=1.3)
            if ln.std is not None:
                ax.fill_between(ln.hours, ln.mean - ln.std, ln.mean + ln.std, color=color,
                                alpha=0.08, linewidth=0)
            _mark_budget(ax, ln, lo, hi)
        log_x(ax, lo, hi)
        ax.set_title(dataset_slug(d), fontsize=10)
        ax.set_xlabel("core-hours per run (log scale)", fontsize=8)
        ax.set_ylabel("normalised score", fontsize=8)
        ax.grid(alpha=0.3, which="both")
    fig.legend(list(handles.values()), list(handles), loc="center left",
               bbox_to_anchor=(1.0, 0.5), fontsize=7)
    machines = "; ".join(f"[{i + 1}] {hw}" if len(hardware) > 1 else hw
                         for i, hw in enumerate(hardware))
    fig.suptitle(f"Score against compute, {env}: mean over runs ±1 std; ☆ published budget "
                 f"(extrapolated), ▶ at the edge when beyond the plot\nmachines: {machines}",
                 fontsize=9, y=1.0)
    fig.tight_layout()
    return fig


def log_x(ax, lo: float, hi: float) -> None:
    """A log x axis from ``lo`` to ``hi`` with plain-number tick labels."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _mark_budget(ax, ln, lo: float, hi: float) -> None:
    """☆ at the published budget's core-hours (at the line's last score), or ▶ (◀) at the
    right (left) edge of the axes when it falls beyond the plot."""
    if ln.published is None or ln.published <= 0:
        return
    color, y = algo_color(ln.algo), float(ln.mean[-1])
    if lo <= ln.published <= hi:
        ax.plot([ln.published], [y], marker="*", markersize=10, color=color,
                markerfacecolor="white", linestyle="none")
        return
    beyond = ln.published > hi
    ax.plot([1.0 if beyond else 0.0], [y], marker=">" if beyond else "<", markersize=7,
            color=color, linestyle="none", transform=ax.get_yaxis_transform(), clip_on=False)


def write_compute_plots(view, plot_dir: Path, draw: bool = True) -> list[tuple[str, Path]]:
    """``<plot_dir>/compute-<env>.png`` per env with a timed curve; (title, path) pairs."""
    out = []
    for env, datasets in _groups(view.datasets):
        if not any(view.lines(d) for d in datasets):
            continue
        path = plot_dir / f"compute-{safe_id(env)}.png"
        if draw:
            plt = pyplot()
            with plt.rc_context({"text.parse_math": False}):
                fig = compute_figure(view, env, datasets)
                save(fig, path)
            plt.close(fig)
        out.append((f"score against compute, {env}", path))
    return out
