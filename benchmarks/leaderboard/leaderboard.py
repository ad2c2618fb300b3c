"""`make leaderboard` (`curatedrl leaderboard`): LEADERBOARD.md, the static site
(docs/leaderboard/index.html) and their plots, from results/ only.

Per (schedule, data source) section (sections are never mixed): last and best normalised score
per dataset as mean ± std over seeds with the number of seeds, per-env and overall averages, IQM
with 95% stratified-bootstrap intervals, the paper's claims read per dataset by a paired
t-test with Holm's correction (``paired.py``; P(X > Y) beside it, descriptive), and PNG plots.
Runs that do not belong to their section's tables (other dataset bytes, a modified tree, a
config beyond the schedule: benchmarks/leaderboard/admission.py) are listed, one line per reason
with every run's folder (``listing.py``), never averaged; so are the run folders skipped as
unusable (benchmarks/leaderboard/results.py), after the sections.
Everything read from results/ is written as data (benchmarks/leaderboard/escaping.py).
Nothing here depends on the clock or the machine: rebuilding from the same results gives the
same files.

The numbers come from ``sections.py`` (shared with the site, ``site.py``); this module writes
them as markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard import published
from curatedrl.benchmarks.suites.cell_config import SCHEDULE_DIR
from curatedrl.benchmarks.leaderboard.escaping import md_code, md_text
from curatedrl.benchmarks.leaderboard.listing import listed_md
from curatedrl.benchmarks.leaderboard.results import Run, Skipped, load_results
from curatedrl.benchmarks.leaderboard.budget import budget_lines, compute_algos, compute_lines, \
    dataset_compute_rows
from curatedrl.benchmarks.leaderboard.sections import PLOT_DIR, SOURCE, Section, aggregate_rows, \
    build_sections, data_lines, env_groups, group_average
from curatedrl.benchmarks.leaderboard.claims import claim_text, dataset_claim_rows, \
    improvement_rows
from curatedrl.benchmarks.leaderboard.stats import BOOTSTRAP_REPS, mean_std
from curatedrl.benchmarks.leaderboard.views import build_views
from curatedrl.benchmarks.leaderboard.variants import variant_lines
from curatedrl.run.records.rundir import atomic_write_text


def _cell(values: list[float]) -> str:
    if not values:
        return "— (0)"
    mean, std = mean_std(values)
    return f"{mean:.1f} ± {std:.1f} ({len(values)})" if std is not None else \
        f"{mean:.1f} ({len(values)})"


def _avg(scores: dict[str, list[float]], datasets: list[str]) -> str:
    value, have = group_average(scores, datasets)
    return f"— ({have}/{len(datasets)})" if value is None else f"{value:.1f}"


def score_table(by: dict[str, dict[str, list[float]]], datasets: list[str]) -> list[str]:
    algos = list(ALGOS)
    lines = ["| dataset | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
    for d in datasets:
        lines.append(f"| {md_text(dataset_slug(d))} | " +
                     " | ".join(_cell(by[a].get(d, [])) for a in algos) + " |")
    for label, group in env_groups(datasets):
        lines.append(f"| **{md_text(label)}** | " +
                     " | ".join(_avg(by[a], group) for a in algos) + " |")
    return lines


def aggregate_table(last: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| algo | datasets | seeds per dataset | IQM | 95% CI | mean |",
             "|---|---|---|---|---|---|"]
    for r in aggregate_rows(last):
        lines.append(f"| {r['algo']} | 0 | 0 | — | — | — |" if r["iqm"] is None else
                     f"| {r['algo']} | {r['datasets']} | {r['seeds']} | {r['iqm']:.1f} | "
                     f"[{r['lo']:.1f}, {r['hi']:.1f}] | {r['mean']:.1f} |")
    return lines


def improvement_table(seeds: dict[str, dict[str, dict[int, float]]]) -> list[str]:
    lines = ["| comparison | datasets read | pairs per dataset | reading per dataset (paired t, "
             "Holm) | P(X > Y), descriptive | 95% bootstrap CI |", "|---|---|---|---|---|---|"]
    for r in improvement_rows(seeds):
        p = ("— | —" if r["p"] is None else
             f"{r['p']:.2f} | [{r['lo']:.2f}, {r['hi']:.2f}]")
        lines.append(f"| {r['name']} | {r['datasets']} | {r['pairs'] or '—'} | "
                     f"{r['readings']} | {p} |")
    return lines


def dataset_claim_table(seeds: dict[str, dict[str, dict[int, float]]], datasets: list[str]
                        ) -> list[str]:
    pairs, rows = dataset_claim_rows(seeds, datasets)
    if not rows:
        return []
    lines = ["", "Per dataset: the mean paired difference X − Y with its 95% t-interval, the "
             "Holm-adjusted p and the reading; then, descriptive only, the exact sign-flip p of "
             "the mean difference (at least 2 / 2^n with n pairs: 0.062 at 5, 0.25 at 3) and "
             "the number of pairs. — : no runs of X or Y on the dataset.", "",
             "| dataset | " + " | ".join(f"{x} vs {y}" for x, y in pairs) + " |",
             "|---" * (len(pairs) + 1) + "|"]
    lines += [f"| {md_text(dataset_slug(d))} | " + " | ".join(claim_text(c) for c in cells) + " |"
              for d, cells in rows]
    return lines


def dataset_compute_table(runs: list[Run], datasets: list[str]) -> list[str]:
    rows = dataset_compute_rows(runs, datasets)
    algos = compute_algos(rows)
    lines = ["| " + " | ".join(["dataset", "runs", "run wall time"] +
                               [f"{a} (min per run)" for a in algos]) + " |",
             "|---" * (len(algos) + 3) + "|"]
    lines += [f"| {md_text(dataset_slug(d))} | {n} | {hours:.2f} h | " +
              " | ".join(f"{minutes[a]:.1f}" if a in minutes else "—" for a in algos) + " |"
              for d, n, hours, minutes in rows]
    return lines


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
                 "their folders, beyond any real score, or a failure record): listed, never "
                 "averaged; `curatedrl leaderboard` warns about each.")


def skipped_lines(skipped: list[Skipped], results: Path) -> list[str]:
    if not skipped:
        return []
    return ["## Run folders skipped", "", SKIPPED_ABOUT, ""] + \
        listed_lines([(s, s.reason) for s in skipped], results) + [""]


def tables_md(sec: Section) -> list[str]:
    """A section's score, aggregate, claim and compute tables (for a section with runs)."""
    runs, datasets, last, best = sec.runs, sec.datasets, sec.last, sec.best
    lines: list[str] = []
    lines += ["", "### Last normalised score", "",
              "Final evaluation, mean ± std over seeds (number of seeds in brackets); averages "
              "are over the datasets' means and need every dataset of the group (`— (k/n)`: "
              "k of its n datasets have results).", ""]
    lines += score_table(last, datasets)
    lines += published.markdown(sec.source, last, datasets, lambda d: md_text(dataset_slug(d)))
    lines += ["", "### Best normalised score", "",
              "Best of the periodic and final evaluations of each run, mean ± std over seeds.",
              ""]
    lines += score_table(best, datasets)
    lines += ["", "### Aggregate over datasets", "",
              "Interquartile mean of the last scores over the (dataset, seed) runs of the "
              "algorithm on the datasets where it has the most seeds, with a 95% "
              "stratified-bootstrap confidence interval (rliable; "
              f"{BOOTSTRAP_REPS:,} resamples of seeds within each dataset). Algorithms with "
              "results on different datasets are not directly comparable here; the per-dataset "
              "tables are.", ""]
    lines += aggregate_table(last)
    lines += ["", "### Claims, paired by seed", "",
              "Each comparison X vs Y is read per dataset from the runs of X and Y with the "
              "same seed: a two-sided paired t-test on the differences X − Y, Holm-corrected "
              "across the datasets where that pair is read (family-wise α = 0.05). X higher or "
              "Y higher where the adjusted p is below 0.05, not separated otherwise; fewer "
              "than 3 pairs: too few seeds (benchmarks/leaderboard/paired.py; "
              "tests/test_paired_stats.py simulates its false-positive rate at 3, 5 and 10 "
              "seeds). The first four rows are the paper's claims (iw-BC ≥ filtered BC; "
              "filtered BC > BC on medium-replay and on medium-expert; iw-BC(Q) ≥ SFT(Q)), "
              "then iw-BC against BC for scale and the three baselines with the highest "
              "averages at baselines-30k. P(X > Y), the probability that a run of X scores "
              "higher than a run of Y on the same dataset averaged over the datasets where "
              "both have the most seeds (Agarwal et al. 2021), with its 95% stratified-"
              "bootstrap interval, is descriptive: it is not the reading.", ""]
    lines += improvement_table(sec.last_seeds)
    lines += dataset_claim_table(sec.last_seeds, datasets)
    lines += ["", "### Compute per dataset", "",
              "Run wall time as each run recorded it (final.json), summed per dataset and "
              "averaged per run of each algorithm; a stacked process counts once, shared among "
              "its seeds. The hardware line above says on what, and runs that shared the "
              "machine with other jobs took longer than on idle cores.", ""]
    lines += dataset_compute_table(runs, datasets)
    return lines


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
    lines += tables_md(sec) if runs else [
        "", "No run of this section is averaged: its tables appear when runs on the current "
        "data bytes are in (the runs listed apart below; the reproduce command reruns them)."]
    if sec.excluded:
        lines += ["", "### Runs kept out of these tables", "",
                  "Made on other dataset bytes, from a modified tree or with a config beyond "
                  "the schedule: listed by reason, never averaged.", ""]
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
             "returns). Every algorithm of the registry and every dataset of the suites "
             "appears; `— (0)` marks a cell with no results yet. The same tables, sortable and "
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
