"""One headline table across sections, at the top of LEADERBOARD.md and first on the site.

Every algorithm with runs on the curatedrl data, each at the largest budget it has on the suite:
of the schedules it ran, the one covering the most of the suite's datasets, then the largest
fraction of its published steps (``compute_view.published_steps``), then the most core-hours per
run (``cost.py``). Under its name: that schedule, the fraction of the published steps and the
core-hours per run. One column per dataset with runs of any algorithm (no empty column) and the
average over them (needs every one of them: ``— (k/n)`` otherwise); last normalised score, mean
± std over seeds, as the section tables show it. One line under it names the registry's
algorithms without an averaged run on the curatedrl data in any section (``missing_text``), so
none disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.budget import percent
from curatedrl.benchmarks.leaderboard.compute_view import ComputeView, published_steps, \
    trained_steps
from curatedrl.benchmarks.leaderboard.escaping import html_text, md_text
from curatedrl.benchmarks.leaderboard.stats import mean_std
from curatedrl.benchmarks.leaderboard.view_tables import html_table, md_table, score_text
from curatedrl.datasets.ids import dataset_slug


@dataclass
class HeadlineRow:
    algo: str
    schedule: str
    fraction: float | None  # of the published steps (None: not in the registry)
    hours: float  # mean core-hours per run
    scores: dict[str, list[float]]  # dataset -> last scores over seeds
    sampled: tuple[int, ...] = ()  # BC-family gradients on k sampled steps per episode


def headline_rows(sections, view: ComputeView) -> tuple[list[str], list[HeadlineRow]]:
    """(the datasets shown, one row per algorithm with runs on the curatedrl data)."""
    from curatedrl.benchmarks.leaderboard.sections import SOURCE

    mine = [s for s in sections if s.source == SOURCE]
    algos = [a for a in ALGOS] + sorted({r.algo for s in mine for r in s.runs} - set(ALGOS))
    rows = []
    for algo in algos:
        best = None
        for sec in mine:
            runs = [r for r in sec.runs if r.algo == algo]
            if not runs:
                continue
            pub = published_steps(algo)
            fraction = float(np.mean([sum(trained_steps(r)) / sum(pub) for r in runs])) \
                if pub else None
            hours = float(np.mean([view.costs[id(r)].hours for r in runs]))
            scores: dict[str, list[float]] = {}
            for r in runs:
                scores.setdefault(r.dataset, []).append(float(r.final["normalized_score_last"]))
            sampled = tuple(sorted({int((r.config or {}).get("steps_per_episode") or 0)
                                    for r in runs} - {0}))
            key = (len(scores), fraction or 0.0, hours)
            if best is None or key > best[0]:
                best = (key, HeadlineRow(algo, sec.schedule, fraction, hours, scores, sampled))
        if best is not None:
            rows.append(best[1])
    order = list(dict.fromkeys(d for s in mine for d in s.datasets))
    datasets = [d for d in order if any(d in row.scores for row in rows)]
    return datasets, rows


def _average(row: HeadlineRow, datasets: list[str]) -> tuple[float | None, str]:
    have = [d for d in datasets if row.scores.get(d)]
    if len(have) < len(datasets):
        return None, f"— ({len(have)}/{len(datasets)})"
    value = sum(mean_std(row.scores[d])[0] for d in datasets) / len(datasets)
    return value, f"{value:.1f}"


def budget_text(row: HeadlineRow) -> str:
    frac = "—" if row.fraction is None else percent(row.fraction)
    steps = f" (on {', '.join(map(str, row.sampled))} sampled steps per episode)" \
        if row.sampled else ""
    return f"schedule {row.schedule}, {frac} of its published steps{steps}, " \
        f"{row.hours:.3g} core-hours per run"


CAVEAT = ("Budgets differ: each algorithm is shown at the largest budget it has on the suite "
          "(of its schedules: the one covering the most datasets, then the largest fraction of "
          "its published steps, then the most compute), named under it; rows are not equal "
          "budgets. Last normalised score, mean ± std over seeds (seeds in brackets); the "
          "average is over the datasets' means and needs every dataset shown. Core-hours as in "
          "“Score against compute” below. This table reads no claim: a sweep still running "
          "shows the seeds it has finished, and each claim is read in its section, by the "
          "paired rule (the decisive experiment's only when each of its registered pairs is "
          "in or left out because a run failed, docs/decisive.md).")


def missing_text(rows: list[HeadlineRow]) -> str | None:
    """The line under the table naming the registry's algorithms without a row (no averaged run
    on the curatedrl data in any section); None when every one has a row. Plain text."""
    missing = [a for a in ALGOS if a not in {r.algo for r in rows}]
    if not missing:
        return None
    return (f"No run on the current data yet: {', '.join(missing)} (no averaged run on the "
            f"curatedrl data in any section; runs on other dataset bytes are listed apart in "
            f"their sections).")


def headline_markdown(sections, view: ComputeView) -> list[str]:
    datasets, rows = headline_rows(sections, view)
    if not rows:
        return []
    missing = missing_text(rows)
    body = [[f"**{md_text(r.algo)}** ({md_text(budget_text(r))})"] +
            [score_text(r.scores.get(d, [])) for d in datasets] + [_average(r, datasets)[1]]
            for r in rows]
    return ["## Headline", "", CAVEAT, "",
            *md_table(["algorithm (budget)"] + [md_text(dataset_slug(d)) for d in datasets] +
                      ["average"], body), "", *([md_text(missing), ""] if missing else [])]


def headline_html(sections, view: ComputeView) -> list[str]:
    datasets, rows = headline_rows(sections, view)
    if not rows:
        return []
    body = []
    for r in rows:
        cells = [(r.algo, f"<b>{html_text(r.algo)}</b><br><small>{html_text(budget_text(r))}"
                          "</small>")]
        for d in datasets:
            values = r.scores.get(d, [])
            cells.append((f"{mean_std(values)[0]:.6f}" if values else "",
                          html_text(score_text(values))))
        value, text = _average(r, datasets)
        cells.append(("" if value is None else f"{value:.6f}", html_text(text)))
        body.append(cells)
    missing = missing_text(rows)
    return ['<section id="headline">', "<h2>Headline</h2>", f"<p>{html_text(CAVEAT)}</p>",
            *html_table("headline-table", [("algorithm (budget)", "text")] +
                        [(dataset_slug(d), "num") for d in datasets] + [("average", "num")],
                        body), f"<p>{html_text(missing)}</p>" if missing else "",
            "</section>"]
