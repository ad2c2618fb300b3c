"""The leaderboard as a static web page: ``docs/leaderboard/index.html`` next to its plots.

One file with its style and script inlined (benchmarks/leaderboard/site.css,
benchmarks/leaderboard/site.js) and the plots referenced by file name: no server, no CDN, no
network, so it opens from disk or any static host. Per (schedule, data source) section, over
the algorithms and datasets with averaged runs in it (``shown.py``): the last and best score
tables (sortable by any column; click or focus a cell for its runs and the command that
reproduces it), per-env and overall averages, IQM with CIs, the claims read by the paired rule
(``paired.py``; a registered experiment's marked interim until its pairs are in,
``registered.py``), the runs kept out of the tables and the plots, then the run folders skipped
as unusable. Same results, same bytes (no dates; every order fixed). Everything read from
results/ is written as data (benchmarks/leaderboard/escaping.py).
"""

from __future__ import annotations

from pathlib import Path

from curatedrl.benchmarks.leaderboard.escaping import html_code_spans, html_text as escape, \
    url_segment
from curatedrl.benchmarks.leaderboard.listing import listed_html
from curatedrl.benchmarks.leaderboard.site_figures import figures_html
from curatedrl.benchmarks.leaderboard.site_tables import cell_templates, tables_html
from curatedrl.benchmarks.leaderboard.results import Skipped
from curatedrl.benchmarks.leaderboard.budget import budget_lines, compute_lines
from curatedrl.benchmarks.leaderboard.sections import SOURCE, Section, data_lines, \
    kept_out_about
from curatedrl.run.records.rundir import atomic_write_text

HERE = Path(__file__).resolve().parent
REPO_LINK = "../.."  # docs/leaderboard/ -> the repository root


def data_about(source: str) -> str:
    """What a section's data is (nothing for the default source: its page stays as it was)."""
    if source == SOURCE:
        return ""
    from curatedrl.benchmarks.suites.sources import source_spec

    return f"<p>Data <code>{escape(source)}</code>: " \
        f"{escape(' '.join(source_spec(source)['about'].split()))}.</p>"


def section_html(sec: Section, results: Path, views=None) -> list[str]:
    commits = sorted({str(r.final.get("git_commit", "unknown"))[:12] for r in sec.runs})
    hardware = sorted({str(r.final.get("hardware", "unknown")) for r in sec.runs})
    made = (f"; code commits {escape(', '.join(commits))}; hardware: "
            f"{escape('; '.join(hardware))}" if sec.runs else "")
    out = [f'<section id="{sec.slug}">',
           f"<h2>Schedule <code>{escape(sec.schedule)}</code> · data "
           f"<code>{escape(sec.source)}</code></h2>",
           f"<p>{len(sec.runs)} runs averaged{made}. Training schedule: "
           f'<a href="{REPO_LINK}/benchmarks/suites/configs/schedules/'
           f'{escape(url_segment(sec.schedule))}.yaml">'
           f"benchmarks/suites/configs/schedules/{escape(sec.schedule)}.yaml</a> "
           "(its comments say how it differs from the published recipes).</p>",
           *[f"<p>{html_code_spans(line[2:])}.</p>"
             for line in data_lines(sec) + budget_lines(sec.runs) + compute_lines(sec.runs)],
           data_about(sec.source)]
    out += tables_html(sec, views.registered_html(sec) if views is not None else []) \
        if sec.runs else [
        "<p>No run of this section is averaged: its tables appear when runs on the current data "
        "bytes are in (the runs listed apart below, and the reproduce command in "
        "LEADERBOARD.md).</p>"]
    if sec.excluded:
        out += ["<h3>Runs kept out of these tables</h3>",
                f"<p>{escape(kept_out_about(sec))}</p>"]
        out += listed_html(sec.excluded, results, "runs kept out")
    if views is not None and (sec.runs or sec.variant_runs):
        out += views.section_html(sec, results)
    out += ["<h3>Plots</h3>", *figures_html(sec.plots, sec.title)] if sec.plots else []
    out += cell_templates(sec) + ["</section>"]
    return out


def skipped_html(skipped: list[Skipped], results: Path) -> list[str]:
    if not skipped:
        return []
    return ['<section id="skipped">', "<h2>Run folders skipped</h2>",
            "<p>Their files cannot be used as they are (unreadable, naming another run than "
            "their folders, beyond any real score, or a failure record without its failed "
            "step): listed, never averaged; <code>curatedrl leaderboard</code> warns about "
            "each.</p>"] + \
        listed_html([(s, s.reason) for s in skipped], results, "run folders skipped") + \
        ["</section>"]


def render(sections: list[Section], results: Path, skipped: list[Skipped] = (),
           views=None) -> str:
    css = (HERE / "site.css").read_text()
    js = (HERE / "site.js").read_text()
    nav = " · ".join(f'<a href="#{s.slug}">{escape(s.title)}</a>' for s in sections)
    if views is not None and sections:  # the headline first, score against compute last
        nav = '<a href="#headline">headline</a> · ' + nav + \
            ' · <a href="#compute">score against compute</a>'

    body = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>curatedrl leaderboard</title>", f"<style>\n{css}</style>", "</head>",
            "<body>", "<header>", "<h1>curatedrl leaderboard</h1>",
            "<p>Generated by <code>make leaderboard</code> from the run files in "
            "<code>results/</code> only. Scores are D4RL-normalised: 0 is a random policy's "
            "return and 100 an expert's, with each dataset's own reference returns. Each "
            "section's tables show only the algorithms and datasets with averaged runs in it, "
            "and a line above them names the others; — (0) marks a shown cell with no results "
            "yet, — (k/n) an average with k of its n datasets.</p>",
            f"<nav>{nav}</nav>" if nav else "", "</header>", "<main>"]
    if not sections:
        body.append("<p>No results yet: run <code>make reproduce</code>.</p>")
    body += views.headline_html() if views is not None else []
    for sec in sections:
        body += section_html(sec, results, views)
    body += views.compute_html() if views is not None else []
    body += skipped_html(list(skipped), results)
    body += ['<section id="add-your-algorithm">', "<h2>Add your algorithm</h2>",
             "<p>One file in <code>algos/</code>, two lines in <code>algos/__init__.py</code> "
             "(its import and its entry in <code>ALGOS</code>), "
             "its configs and a sweep: the steps are in "
             f'<a href="{REPO_LINK}/CONTRIBUTING.md">CONTRIBUTING.md</a>. Then '
             "<code>make leaderboard</code> rebuilds this page from <code>results/</code>.</p>",
             "</section>", "</main>", f"<script>\n{js}</script>", "</body>", "</html>"]
    return "\n".join(line for line in body if line) + "\n"


def write_site(sections: list[Section], results: Path, path: Path,
               skipped: list[Skipped] = (), views=None) -> str:
    text = render(sections, results, skipped, views)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return text
