"""Tuning-budget curves of a leaderboard section (Unifloral's protocol, ``bandit.py``).

Per algorithm and dataset: its K policies are the section's runs of that cell, every (variant,
seed) (a run's variant is final.json ``variant``, absent for the default config); each run's
final evaluation episodes (``episodes.csv``, ``episodes.py``) are its arm's recorded returns, in
normalised score. The table gives the expected score of the policy a UCB bandit selects after
n = 1, 10 and 100 online evaluation episodes, with its 95% bootstrap interval; the plots (one per
env) draw it for n = 1 .. 200. Runs without an episodes.csv are not covered, and the pages say
how many are; a malformed one is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.admission import shown_path
from curatedrl.benchmarks.leaderboard.bandit import MAX_PULLS, SUBSAMPLE, TRIALS, UCB_ALPHA, \
    TuningCurve, tuning_curve
from curatedrl.benchmarks.leaderboard.episodes import episode_scores
from curatedrl.benchmarks.leaderboard.escaping import html_text, md_code, md_text
from curatedrl.benchmarks.leaderboard.site_figures import figures_html
from curatedrl.benchmarks.leaderboard.view_tables import html_table, md_table
from curatedrl.datasets.ids import dataset_slug

TABLE_PULLS = (1, 10, 100)


@dataclass
class TuningView:
    runs: int  # runs of the section
    covered: int  # of which with a usable episodes.csv
    bad: list[tuple] = field(default_factory=list)  # (run, why) whose episodes.csv is skipped
    curves: dict[tuple[str, str], TuningCurve] = field(default_factory=dict)  # (algo, dataset)
    variants: dict[tuple[str, str], int] = field(default_factory=dict)  # distinct variants
    plots: list[tuple[str, Path]] = field(default_factory=list)


def build_tuning_view(sec, plot_dir: Path, draw: bool = True) -> TuningView:
    """The section's tuning-budget curves (and, if ``draw``, its plots)."""
    from curatedrl.benchmarks.leaderboard.tuning_plots import write_tuning_plots

    runs = [*sec.runs, *sec.variant_runs]  # the section's runs and its admitted variants
    covered, bad = episode_scores(runs)
    view = TuningView(len(runs), len(covered), bad)
    algos = [a for a in ALGOS] + sorted({r.algo for r, _ in covered} - set(ALGOS))
    datasets = [*sec.datasets, *sorted({r.dataset for r, _ in covered} - set(sec.datasets))]
    for d in datasets:
        for algo in algos:
            arms = sorted(((r.variant or "", int(r.final["seed"])), s) for r, s in covered
                          if r.algo == algo and r.dataset == d)
            if arms:
                view.curves[(algo, d)] = tuning_curve([s for _, s in arms])
                view.variants[(algo, d)] = len({v for (v, _), _ in arms})
    view.plots = write_tuning_plots(sec, view, plot_dir, draw)
    return view


def coverage_text(view: TuningView) -> str:
    if not view.covered:
        return f"No run of this section ({view.runs} in all) records its episodes (episodes.csv " \
            f"beside final.json, which runs write from commit 9ad526e on; an earlier run has " \
            f"none, and exporting it again cannot add it): no curve to draw."
    return f"{view.covered} of the section's {view.runs} runs record their episodes " \
        f"(episodes.csv); the others are not covered."


ABOUT = (f"Unifloral's protocol (Jackson et al., NeurIPS 2025): the K policies of a cell (its "
         f"seeds, and every hyperparameter variant's) are the arms of a UCB bandit (α = "
         f"{UCB_ALPHA:g}) that spends n online evaluation episodes choosing among them; each "
         f"pull draws one recorded final-evaluation episode of the chosen policy. The value is "
         f"the expected normalised score (the mean of all its recorded episodes) of the policy "
         f"the bandit selects after n pulls, mean over {TRIALS} trials, each on a random subset "
         f"of up to {SUBSAMPLE} policies, with a 95% bootstrap interval over trials; fixed "
         f"seed (benchmarks/leaderboard/bandit.py).")


def about(view: TuningView) -> str:
    """The protocol in full where a curve is drawn, else in one sentence."""
    return ABOUT if view.curves else \
        "The expected score of the policy a UCB bandit selects among a cell's seeds and " \
        "variants after n online evaluation episodes (Unifloral's protocol, " \
        "benchmarks/leaderboard/bandit.py), from each run's recorded final-evaluation episodes."


def _cell(curve: TuningCurve, n: int) -> tuple[float, str]:
    if n > len(curve.mean):
        return 0.0, "—"
    mean, lo, hi = curve.at(n)
    return mean, f"{mean:.1f} [{lo:.1f}, {hi:.1f}]"


def _policies(view: TuningView, key) -> str:
    k, v = view.curves[key].policies, view.variants[key]
    return f"{k}" + (f" ({v} variants)" if v > 1 else "")


def tuning_markdown(sec, view: TuningView, results: Path) -> list[str]:
    lines = ["", f"### Tuning budget (UCB bandit, n = 1 … {MAX_PULLS} evaluation episodes)",
             "", about(view), "", coverage_text(view)]
    if view.curves:
        rows = [[md_text(dataset_slug(d)), md_text(a), _policies(view, (a, d))] +
                [_cell(c, n)[1] for n in TABLE_PULLS] for (a, d), c in view.curves.items()]
        lines += ["", *md_table(["dataset", "algorithm", "policies"] +
                                [f"n = {n}" for n in TABLE_PULLS], rows)]
        lines += [""] + [f"![{title}]({path.as_posix()})" for title, path in view.plots]
    if view.bad:
        lines += ["", "Episodes files skipped (unusable, listed, never used):", ""]
        lines += [f"- {md_code(shown_path(results, r))}: {md_text(why)}" for r, why in view.bad]
    return lines


def tuning_html(sec, view: TuningView, results: Path) -> list[str]:
    out = [f'<h3 id="{sec.slug}-tuning">Tuning budget (UCB bandit, n = 1 … {MAX_PULLS} '
           f"evaluation episodes)</h3>", f"<p>{html_text(about(view))}</p>",
           f"<p>{html_text(coverage_text(view))}</p>"]
    if view.curves:
        rows = []
        for (a, d), c in view.curves.items():
            rows.append([(d, html_text(dataset_slug(d))), (a, html_text(a)),
                         (str(c.policies), html_text(_policies(view, (a, d))))] +
                        [(f"{m:.6f}", text) for m, text in (_cell(c, n) for n in TABLE_PULLS)])
        out += html_table(f"{sec.slug}-tuning-table",
                          [("dataset", "text"), ("algorithm", "text"), ("policies", "num")] +
                          [(f"n = {n}", "num") for n in TABLE_PULLS], rows)
        out += figures_html(view.plots, sec.title)
    if view.bad:
        out += ["<p>Episodes files skipped (unusable, listed, never used):</p>",
                '<ul class="excluded">'] + \
            [f"<li><code>{html_text(shown_path(results, r))}</code>: {html_text(why)}</li>"
             for r, why in view.bad] + ["</ul>"]
    return out
