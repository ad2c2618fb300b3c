"""LEADERBOARD.md's tables for one section with averaged runs: last and best scores, IQM with
CIs, the paired claims and compute per dataset, as Markdown. Each shows only the algorithms and
datasets with runs in the section, and one line names the others (``shown.py``); the site
writes the same tables as HTML (``site_tables.py``). Everything read from results/ is written
as data (benchmarks/leaderboard/escaping.py)."""

from __future__ import annotations

from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard import published
from curatedrl.benchmarks.leaderboard.escaping import md_text
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.benchmarks.leaderboard.budget import compute_algos, dataset_compute_rows
from curatedrl.benchmarks.leaderboard.sections import Section, aggregate_rows, group_average
from curatedrl.benchmarks.leaderboard.claims import claim_text, dataset_claim_rows, \
    improvement_rows
from curatedrl.benchmarks.leaderboard.registered import registered_for, status_text
from curatedrl.benchmarks.leaderboard.shown import left_out, shown_algos, shown_datasets, \
    shown_groups
from curatedrl.benchmarks.leaderboard.stats import BOOTSTRAP_REPS, mean_std


def _cell(values: list[float]) -> str:
    if not values:
        return "— (0)"
    mean, std = mean_std(values)
    return f"{mean:.1f} ± {std:.1f} ({len(values)})" if std is not None else \
        f"{mean:.1f} ({len(values)})"


def _avg(scores: dict[str, list[float]], datasets: list[str]) -> str:
    value, have = group_average(scores, datasets)
    return f"— ({have}/{len(datasets)})" if value is None else f"{value:.1f}"


def score_table(sec: Section, by: dict[str, dict[str, list[float]]]) -> list[str]:
    algos = shown_algos(sec)
    lines = ["| dataset | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
    for d in shown_datasets(sec):
        lines.append(f"| {md_text(dataset_slug(d))} | " +
                     " | ".join(_cell(by.get(a, {}).get(d, [])) for a in algos) + " |")
    for label, group in shown_groups(sec):
        lines.append(f"| **{md_text(label)}** | " +
                     " | ".join(_avg(by.get(a, {}), group) for a in algos) + " |")
    return lines


def aggregate_table(sec: Section) -> list[str]:
    lines = ["| algo | datasets | seeds per dataset | IQM | 95% CI | mean |",
             "|---|---|---|---|---|---|"]
    for r in aggregate_rows(sec.last, shown_algos(sec)):
        lines.append(f"| {r['algo']} | 0 | 0 | — | — | — |" if r["iqm"] is None else
                     f"| {r['algo']} | {r['datasets']} | {r['seeds']} | {r['iqm']:.1f} | "
                     f"[{r['lo']:.1f}, {r['hi']:.1f}] | {r['mean']:.1f} |")
    return lines


def improvement_table(sec: Section) -> list[str]:
    rows = improvement_rows(sec.last_seeds, shown_algos(sec))
    if not rows:
        return ["No comparison of the claims has runs of both its algorithms in this section."]
    lines = ["| comparison | datasets read | pairs per dataset | reading per dataset (paired t, "
             "Holm) | P(X > Y), descriptive | 95% bootstrap CI |", "|---|---|---|---|---|---|"]
    for r in rows:
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


def registered_lines(sec: Section) -> list[str]:
    """Before a registered experiment's claims: how many of its pairs are in, left out because
    a run failed and missing, and whether its reading is interim (``registered.py``)."""
    reg = registered_for(sec.schedule, sec.source)
    if reg is None:
        return []
    return [f"**{md_text(status_text(reg, sec.last_seeds, sec.failed))}**", ""]


def tables_md(sec: Section, descriptive: list[str] = ()) -> list[str]:
    """A section's score, aggregate, claim and compute tables (for a section with runs);
    ``descriptive``: lines after the claims (a registered experiment's descriptive figures)."""
    runs, datasets, last, best = sec.runs, sec.datasets, sec.last, sec.best
    omitted = left_out(sec)
    lines: list[str] = ["", md_text(omitted)] if omitted else []
    lines += ["", "### Last normalised score", "",
              "Final evaluation, mean ± std over seeds (number of seeds in brackets); averages "
              "are over the datasets' means and need every dataset of the group (`— (k/n)`: "
              "k of its n datasets have results); a group's row appears where an algorithm "
              "shown has all of its datasets.", ""]
    lines += score_table(sec, last)
    lines += published.markdown(sec.source, last, shown_datasets(sec),
                                lambda d: md_text(dataset_slug(d)), shown_algos(sec))
    lines += ["", "### Best normalised score", "",
              "Best of the periodic and final evaluations of each run, mean ± std over seeds.",
              ""]
    lines += score_table(sec, best)
    lines += ["", "### Aggregate over datasets", "",
              "Interquartile mean of the last scores over the (dataset, seed) runs of the "
              "algorithm on the datasets where it has the most seeds, with a 95% "
              "stratified-bootstrap confidence interval (rliable; "
              f"{BOOTSTRAP_REPS:,} resamples of seeds within each dataset). Algorithms with "
              "results on different datasets are not directly comparable here; the per-dataset "
              "tables are.", ""]
    lines += aggregate_table(sec)
    lines += ["", "### Claims, paired by seed", ""] + registered_lines(sec)
    lines += ["Each comparison X vs Y is read per dataset from the runs of X and Y with the "
              "same seed: a two-sided paired t-test on the differences X − Y, Holm-corrected "
              "across the datasets where that pair is read (family-wise α = 0.05). X higher or "
              "Y higher where the adjusted p is below 0.05, not separated otherwise; fewer "
              "than 3 pairs: too few seeds (benchmarks/leaderboard/paired.py; "
              "tests/test_paired_stats.py simulates its false-positive rate at 3, 5 and 10 "
              "seeds). The paper's claims (iw-BC ≥ filtered BC; filtered BC > BC on "
              "medium-replay and on medium-expert; iw-BC(Q) ≥ SFT(Q)) come first, then iw-BC "
              "against BC for scale and the three baselines with the highest averages at "
              "baselines-30k; a comparison appears where this section has runs of both its "
              "algorithms. P(X > Y), the probability that a run of X scores "
              "higher than a run of Y on the same dataset averaged over the datasets where "
              "both have the most seeds (Agarwal et al. 2021), with its 95% stratified-"
              "bootstrap interval, is descriptive: it is not the reading.", ""]
    lines += improvement_table(sec)
    lines += dataset_claim_table(sec.last_seeds, datasets)
    lines += list(descriptive)
    lines += ["", "### Compute per dataset", "",
              "Run wall time as each run recorded it (final.json), summed per dataset and "
              "averaged per run of each algorithm; a stacked process counts once, shared among "
              "its seeds. The hardware line above says on what, and runs that shared the "
              "machine with other jobs took longer than on idle cores.", ""]
    lines += dataset_compute_table(runs, datasets)
    return lines
