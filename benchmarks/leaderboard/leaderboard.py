"""`make leaderboard` (`curatedrl leaderboard`): LEADERBOARD.md, the static site
(docs/leaderboard/index.html) and their plots, from results/ only.

Per (schedule, data source) section (sections are never mixed), over the algorithms and
datasets with averaged runs in it (``shown.py``; one line names the others): last and best
normalised score per dataset as mean ± std over seeds with the number of seeds, per-env and
overall averages, IQM with 95% stratified-bootstrap intervals, the paper's claims read per
dataset by a paired t-test with Holm's correction (``paired.py``; P(X > Y) beside it,
descriptive; a registered experiment's reading marked interim until its pairs are in:
``registered.py``), and PNG plots.
Runs that do not belong to their section's tables (other dataset bytes, a modified tree, a
config beyond the schedule, a failure record: benchmarks/leaderboard/admission.py) are listed,
one line per reason with every run's folder (``listing.py``), never averaged; so are the run
folders skipped as unusable (benchmarks/leaderboard/results.py), after the sections.
Everything read from results/ is written as data (benchmarks/leaderboard/escaping.py).
Nothing here depends on the clock or the machine: rebuilding from the same results gives the
same files.

The numbers come from ``sections.py`` (shared with the site, ``site.py``); this module and
``md_tables.py`` write them as markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from curatedrl.benchmarks.suites.cell_config import SCHEDULE_DIR
from curatedrl.benchmarks.leaderboard.escaping import md_code, md_text
from curatedrl.benchmarks.leaderboard.listing import listed_md
from curatedrl.benchmarks.leaderboard.md_tables import tables_md
from curatedrl.benchmarks.leaderboard.results import Run, Skipped, load_results
from curatedrl.benchmarks.leaderboard.budget import budget_lines, compute_lines
from curatedrl.benchmarks.leaderboard.sections import PLOT_DIR, SOURCE, Section, \
    build_sections, data_lines, kept_out_about
from curatedrl.benchmarks.leaderboard.views import build_views
from curatedrl.benchmarks.leaderboard.variants import variant_lines
from curatedrl.run.records.rundir import atomic_write_text


def provenance_lines(runs: list[Run]) -> list[str]:
    if not runs:
        return ["- 0 runs averaged"]
    commits = sorted({r.final.get("git_commit", "unknown")[:12] for r in runs})
    hardware = sorted({r.final.get("hardware", "unknown") for r in runs})
    devices = sorted({r.final.get("device", "unknown") for r in runs})
    return [f"- {len(runs)} runs; code commits: {', '.join(map(md_text, commits))}",
            f"- devices: {', '.join(map(md_text, devices))}; hardware: "
            f"{'; '.join(map(md_text, hardware))}"]


def listed_lines(listed: list[tuple], results: Path) -> list[str]:
    """One line per reason runs are listed apart for: how many, why, and their folders."""
    return listed_md(listed, results)


def excluded_lines(sec: Section, results: Path) -> list[str]:
    return listed_lines(sec.excluded, results)


SKIPPED_ABOUT = ("Their files cannot be used as they are (unreadable, naming another run than "
                 "their folders, beyond any real score, or a failure record without its failed "
                 "step): listed, never averaged; `curatedrl leaderboard` warns about each.")


def skipped_lines(skipped: list[Skipped], results: Path) -> list[str]:
    if not skipped:
        return []
    return ["## Run folders skipped", "", SKIPPED_ABOUT, ""] + \
        listed_lines([(s, s.reason) for s in skipped], results) + [""]


def schedule_section(sec: Section, results: Path, views=None) -> list[str]:
    schedule, runs, plots = sec.schedule, sec.runs, sec.plots
    schedule_file = SCHEDULE_DIR / f"{schedule}.yaml"
    heading = f"## Schedule {md_code(schedule)}" + ("" if sec.source == SOURCE else
                                                    f", data {md_code(sec.source)}")
    lines = [heading, ""]
    if schedule_file.exists():
        lines.append(f"Training schedule: `benchmarks/suites/configs/schedules/{schedule}.yaml` "
                     f"(its comments say how it differs from the published recipes).")
    if sec.source != SOURCE:
        from curatedrl.benchmarks.suites.sources import source_spec

        lines.append(f"Data `{sec.source}`: {' '.join(source_spec(sec.source)['about'].split())}.")
    lines += provenance_lines(runs) + data_lines(sec) + budget_lines(runs) + compute_lines(runs)
    descriptive = views.registered_md(sec) if views is not None else []
    lines += tables_md(sec, descriptive) if runs else [
        "", "No run of this section is averaged: its tables appear when runs on the current "
        "data bytes are in (the runs listed apart below; the reproduce command reruns them)."]
    if sec.excluded:
        lines += ["", "### Runs kept out of these tables", "", kept_out_about(sec), ""]
        lines += excluded_lines(sec, results)
    if views is not None and (runs or sec.variant_runs):
        lines += views.section_md(sec, results)
    if plots:
        lines += ["", "### Plots", ""] + [f"![{title}]({path.as_posix()})"
                                          for title, path in plots]
    commands = sec.commands()
    rerun = (f" except the {len(sec.earlier)} runs on earlier data bytes listed apart, which "
             f"it lists to run again on the current bytes" if sec.earlier else "")
    lines += ["", f"Reproduce (on a fresh clone each dry-runs to 0 cells to run{rerun}, with "
              "`--dry-run` added to ARGS; without `--skip-exported` every cell would train "
              "again and replace its committed results): " +
              ", ".join(md_code(c) for c in commands) + ", then `make leaderboard`."
              if commands else "Reproduce: no averaged runs yet.", ""]
    return lines


SECTION_PLOTS = ("-learning-curves.png", "-aggregate.png", "-performance-profiles.png")


def drop_stale_plots(plot_dir: Path, written: set[Path]) -> None:
    """Remove section plots this build did not write (a section left without averaged runs), so
    no page or README can show a figure its tables no longer hold."""
    for path in Path(plot_dir).glob("*.png"):
        if path.name.endswith(SECTION_PLOTS) and path not in written:
            path.unlink()


def build(results: Path = Path("results"), out: Path = Path("LEADERBOARD.md"),
          plot_dir: Path = PLOT_DIR, draw: bool = True, site: bool = False,
          expected_hash: Callable[[str], str | None] | None = None,
          earlier_hashes: Callable[[str], list[str]] | None = None) -> str:
    """Write LEADERBOARD.md (and, if ``draw``, the plots; if ``site``,
    ``<plot_dir>/index.html``) from the results tree; returns the markdown."""
    runs, skipped = load_results(results)
    sections = build_sections(results, plot_dir, draw, expected_hash, earlier_hashes, runs)
    lines = ["# Leaderboard", "",
             "Generated by `make leaderboard` (`curatedrl leaderboard`) from the run files in "
             "`results/` only — edit those, never this file. Scores are D4RL-normalised "
             "(100 · (R − random) / (expert − random), with each dataset's own reference "
             "returns). Each section's tables show only the algorithms and datasets with "
             "averaged runs in it, and a line above them names the others; `— (0)` marks a "
             "shown cell with no results yet, `— (k/n)` an average with k of its n datasets. "
             "The same tables, sortable and "
             "with every cell's runs and command, are in the static page "
             "[docs/leaderboard/index.html](docs/leaderboard/index.html) (open it from disk).",
             ""]
    views = build_views(sections, runs, plot_dir, draw)
    lines += views.headline_md()
    if not sections:
        lines += ["No results yet: run `make reproduce`.", ""]
    for sec in sections:
        lines += schedule_section(sec, results, views)
    lines += variant_lines(runs, results, expected_hash, earlier_hashes)
    lines += views.compute_md()
    lines += skipped_lines(skipped, results)
    text = "\n".join(lines).rstrip() + "\n"
    atomic_write_text(out, text)
    if draw:
        drop_stale_plots(plot_dir, {path for sec in sections for _, path in sec.plots})
    if site:
        from curatedrl.benchmarks.leaderboard.site import write_site

        write_site(sections, results, plot_dir / "index.html", skipped, views)
    return text
