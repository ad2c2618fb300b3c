"""The leaderboard page's tables for one section: last and best scores (sortable; each cell
opens its runs and the command that reproduces it), IQM with CIs, the paired claims and compute
per dataset, and the per-cell templates the page's script opens. Everything read from results/ is
written as data (benchmarks/leaderboard/escaping.py).
"""

from __future__ import annotations

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard import published
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.escaping import html_text as escape, safe_id
from curatedrl.benchmarks.leaderboard.reproduce import RERUN_DATA
from curatedrl.benchmarks.leaderboard.budget import compute_algos, dataset_compute_rows
from curatedrl.benchmarks.leaderboard.sections import Section, aggregate_rows, group_average
from curatedrl.benchmarks.leaderboard.claims import claim_text, dataset_claim_rows, \
    improvement_rows
from curatedrl.benchmarks.leaderboard.registered import registered_for, status_text
from curatedrl.benchmarks.leaderboard.shown import left_out, shown_algos, shown_datasets, \
    shown_groups
from curatedrl.benchmarks.leaderboard.stats import BOOTSTRAP_REPS, mean_std


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _cell_id(sec: Section, algo: str, dataset: str) -> str:
    """The DOM id of a cell's runs: by the dataset's slug, or by its whole name when another
    dataset of the section has the same slug (``escaping.safe_id``: never shared)."""
    slug = dataset_slug(dataset)
    shared = sum(dataset_slug(d) == slug for d in sec.datasets) > 1
    return f"{sec.slug}--{safe_id(algo)}--{safe_id(dataset if shared else slug)}"


def _score_cell(sec: Section, values: list[float], algo: str, dataset: str) -> str:
    cid = _cell_id(sec, algo, dataset)
    if not values:
        return f'<td data-sort="" data-cell="{cid}" tabindex="0">—&nbsp;<small>(0)</small></td>'
    mean, std = mean_std(values)
    text = f"{mean:.1f}" + (f" ± {std:.1f}" if std is not None else "")
    return (f'<td data-sort="{mean:.6f}" data-cell="{cid}" tabindex="0" title="{len(values)} '
            f'seeds; click for the runs">{text}&nbsp;<small>({len(values)})</small></td>')


def score_table(sec: Section, by: dict, name: str) -> list[str]:
    algos = shown_algos(sec)
    out = [f'<div class="scroll"><table class="sortable scores" id="{sec.slug}-{name}">',
           '<thead><tr><th data-type="text">dataset</th>' +
           "".join(f'<th data-type="num">{escape(a)}</th>' for a in algos) + "</tr></thead>",
           "<tbody>"]
    for d in shown_datasets(sec):
        slug = escape(dataset_slug(d))
        out.append(f'<tr><th scope="row" data-sort="{slug}">{slug}</th>' +
                   "".join(_score_cell(sec, by.get(a, {}).get(d, []), a, d) for a in algos) +
                   "</tr>")
    groups = shown_groups(sec)
    out.append("</tbody><tfoot>" if groups else "</tbody>")
    for label, group in groups:
        cells = []
        for a in algos:
            value, have = group_average(by.get(a, {}), group)
            cells.append(f"<td>{_num(value)}</td>" if value is not None else
                         f"<td>—&nbsp;<small>({have}/{len(group)})</small></td>")
        out.append(f'<tr><th scope="row">{escape(label)}</th>{"".join(cells)}</tr>')
    out.append("</tfoot></table></div>" if groups else "</table></div>")
    return out


def _table(table_id: str, headers: list[tuple[str, str]], rows: list[list[tuple[str, str]]]
           ) -> list[str]:
    """A sortable table: headers (label, num|text), rows of (sort key, html) cells."""
    head = "".join(f'<th data-type="{kind}">{escape(h)}</th>' for h, kind in headers)
    out = [f'<div class="scroll"><table class="sortable" id="{table_id}">',
           f"<thead><tr>{head}</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td data-sort="{escape(k)}">{v}</td>' for k, v in row) +
                   "</tr>")
    return out + ["</tbody></table></div>"]


def aggregate_table(sec: Section) -> list[str]:
    rows = []
    for r in aggregate_rows(sec.last, shown_algos(sec)):
        have = r["iqm"] is not None
        rows.append([(r["algo"], escape(r["algo"])), (str(r["datasets"]), str(r["datasets"])),
                     (str(r["seeds"]), str(r["seeds"])),
                     (f"{r['iqm']:.6f}" if have else "", _num(r["iqm"])),
                     (f"{r['lo']:.6f}" if have else "",
                      f"[{r['lo']:.1f}, {r['hi']:.1f}]" if have else "—"),
                     (f"{r['mean']:.6f}" if have else "", _num(r.get("mean")))])
    return _table(f"{sec.slug}-aggregate", [("algo", "text"), ("datasets", "num"),
                                            ("seeds per dataset", "num"), ("IQM", "num"),
                                            ("95% CI", "num"), ("mean", "num")], rows)


def improvement_table(sec: Section) -> list[str]:
    found = improvement_rows(sec.last_seeds, shown_algos(sec))
    if not found:
        return ["<p>No comparison of the claims has runs of both its algorithms in this "
                "section.</p>"]
    rows = []
    for r in found:
        have = r["p"] is not None
        rows.append([(r["name"], escape(r["name"])), (str(r["datasets"]), str(r["datasets"])),
                     (r["pairs"], escape(r["pairs"] or "—")),
                     (r["readings"], escape(r["readings"])),
                     (f"{r['p']:.6f}" if have else "", _num(r["p"], 2)),
                     (f"{r['lo']:.6f}" if have else "",
                      f"[{r['lo']:.2f}, {r['hi']:.2f}]" if have else "—")])
    return _table(f"{sec.slug}-improvement", [("comparison", "text"), ("datasets read", "num"),
                                              ("pairs per dataset", "num"),
                                              ("reading per dataset (paired t, Holm)", "text"),
                                              ("P(X > Y), descriptive", "num"),
                                              ("95% bootstrap CI", "num")], rows)


def dataset_claim_table(sec: Section) -> list[str]:
    pairs, cells_by = dataset_claim_rows(sec.last_seeds, sec.datasets)
    rows = []
    for d, cells in cells_by:
        rows.append([(d, escape(dataset_slug(d)))] +
                    [("" if c is None or c.mean is None else f"{c.mean:.6f}",
                      escape(claim_text(c))) for c in cells])
    if not rows:
        return []
    return ["<p>Per dataset: the mean paired difference X − Y with its 95% t-interval, the "
            "Holm-adjusted p and the reading; then, descriptive only, the exact sign-flip p of "
            "the mean difference and the number of pairs. Columns sort by the mean "
            "difference.</p>"] + _table(
        f"{sec.slug}-claims-per-dataset",
        [("dataset", "text")] + [(f"{x} vs {y}", "num") for x, y in pairs], rows)


def dataset_compute_table(sec: Section) -> list[str]:
    rows = dataset_compute_rows(sec.runs, sec.datasets)
    algos = compute_algos(rows)
    html = [[(d, escape(dataset_slug(d))), (str(n), str(n)),
             (f"{hours:.6f}", f"{hours:.2f} h")] +
            [(f"{minutes[a]:.6f}" if a in minutes else "", _num(minutes.get(a)))
             for a in algos] for d, n, hours, minutes in rows]
    return _table(f"{sec.slug}-compute", [("dataset", "text"), ("runs", "num"),
                                          ("run wall time", "num")] +
                  [(f"{a} (min per run)", "num") for a in algos], html)


def cell_templates(sec: Section) -> list[str]:
    """Per cell with runs: its runs and the command that reproduces it (shown on click)."""
    out = []
    for algo in ALGOS:
        for d in sec.datasets:
            runs = sec.cell_runs(algo, d)
            if not runs:
                continue
            out.append(f'<template id="{_cell_id(sec, algo, d)}"><p><b>{escape(algo)}</b> on '
                       f"<b>{escape(d)}</b>, {len(runs)} runs</p>")
            out.append('<div class="scroll"><table class="runs"><thead><tr><th>seed</th>'
                       "<th>last</th><th>best</th><th>commit</th><th>hardware</th>"
                       "<th>wall time (s)</th><th>dataset hash</th></tr></thead><tbody>")
            for r in runs:
                f = r.final
                out.append(f"<tr><td>{f['seed']}</td><td>{f['normalized_score_last']:.1f}</td>"
                           f"<td>{f['normalized_score_best']:.1f}</td>"
                           f"<td><code>{escape(str(f.get('git_commit', 'unknown'))[:12])}</code>"
                           f"</td><td>{escape(str(f.get('hardware', 'unknown')))}</td>"
                           f"<td>{_num(f.get('wall_time_s'))}</td>"
                           f"<td><code>{escape(str(f.get('dataset_hash', '—')))}</code></td>"
                           "</tr>")
            out.append(f"</tbody></table></div><p>Reproduce:</p><pre><code>"
                       f"{escape(sec.command(algo, d))}</code></pre>"
                       f"<p>{escape(RERUN_DATA)}</p></template>")
    return out


def tables_html(sec: Section, descriptive: list[str] = ()) -> list[str]:
    """A section's score, aggregate, claim and compute tables (for a section with runs);
    ``descriptive``: HTML after the claims (a registered experiment's descriptive figures)."""
    omitted = left_out(sec)
    out = [f"<p>{escape(omitted)}</p>"] if omitted else []
    out += ["<h3>Last normalised score</h3>",
            "<p>Final evaluation, mean ± std over seeds (seeds in brackets). Click a column "
            "header to sort; click a cell for its runs and the command that reproduces it. "
            "Averages are over the datasets' means and need every dataset of the group; a "
            "group's row appears where an algorithm shown has all of its datasets.</p>"]
    out += score_table(sec, sec.last, "last")
    out += published.html(sec.source, sec.last, shown_datasets(sec), dataset_slug,
                          shown_algos(sec))
    out += [f'<div class="detail" id="{sec.slug}-last-detail" hidden></div>',
            "<h3>Best normalised score</h3>",
            "<p>Best of the periodic and final evaluations of each run.</p>"]
    out += score_table(sec, sec.best, "best")
    out += [f'<div class="detail" id="{sec.slug}-best-detail" hidden></div>',
            "<h3>Aggregate over datasets</h3>",
            "<p>Interquartile mean of the last scores over the (dataset, seed) runs on the "
            "datasets where the algorithm has the most seeds, with a 95% stratified-bootstrap "
            f"interval ({BOOTSTRAP_REPS:,} resamples).</p>"]
    out += aggregate_table(sec)
    reg = registered_for(sec.schedule, sec.source)
    out += ["<h3>Claims, paired by seed</h3>",
            f"<p><b>{escape(status_text(reg, sec.last_seeds, sec.failed))}</b></p>" if reg else "",
            "<p>Each comparison X vs Y is read per dataset from the runs of X and Y with the "
            "same seed: a two-sided paired t-test on the differences X − Y, Holm-corrected "
            "across the datasets where that pair is read (family-wise α = 0.05). X higher or Y "
            "higher where the adjusted p is below 0.05, not separated otherwise; fewer than 3 "
            "pairs: too few seeds. The paper's claims come first, then iw-BC against BC and "
            "three baselines; a comparison appears where this section has runs of both its "
            "algorithms. P(X &gt; Y), the probability that a run of X "
            "scores higher than a run of Y on the same dataset averaged over datasets, with its "
            "95% stratified-bootstrap interval, is descriptive: it is not the reading.</p>"]
    out += improvement_table(sec)
    out += dataset_claim_table(sec)
    out += list(descriptive)
    out += ["<h3>Compute per dataset</h3>",
            "<p>Run wall time as each run recorded it, summed per dataset and averaged per run "
            "of each algorithm; a stacked process counts once, shared among its seeds.</p>"]
    out += dataset_compute_table(sec)
    return out
