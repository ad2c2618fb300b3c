"""`make leaderboard` (`curatedrl leaderboard`): LEADERBOARD.md and its plots, from results/ only.

Per schedule (each results/<schedule>/ tree is one table set; schedules are never mixed): last
and best normalised score per dataset as mean ± std over seeds with the number of seeds, per-env
and overall averages, IQM with 95% stratified-bootstrap intervals, the probability that iw-BC
beats filtered BC, and PNG plots. Nothing here depends on the clock or the machine: rebuilding
from the same results gives the same file.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.configs import SCHEDULE_DIR, dataset_slug, load_suites
from curatedrl.benchmarks.results import Run, load_runs
from curatedrl.benchmarks.rundir import atomic_write_text
from curatedrl.benchmarks.stats import BOOTSTRAP_REPS, algo_matrix, full_seed_datasets, \
    iqm_with_ci, mean_std, probability_of_improvement, score_matrix

COMPARISONS = [("iw_bc", "filtered_bc"), ("iw_bc_q", "sft_q"), ("iw_bc", "bc")]
PLOT_DIR = Path("docs") / "leaderboard"


def suite_datasets() -> list[str]:
    seen: dict[str, None] = {}
    for spec in load_suites().values():
        seen.update(dict.fromkeys(spec["datasets"]))
    return list(seen)


def _env(dataset: str) -> str:
    return dataset_slug(dataset).split("-", 1)[0]


def _cell(values: list[float]) -> str:
    if not values:
        return "— (0)"
    mean, std = mean_std(values)
    return f"{mean:.1f} ± {std:.1f} ({len(values)})" if std is not None else \
        f"{mean:.1f} ({len(values)})"


def _avg(scores: dict[str, list[float]], datasets: list[str]) -> str:
    have = [d for d in datasets if scores.get(d)]
    if len(have) < len(datasets):
        return f"— ({len(have)}/{len(datasets)})"
    return f"{sum(mean_std(scores[d])[0] for d in datasets) / len(datasets):.1f}"


def score_table(by: dict[str, dict[str, list[float]]], datasets: list[str]) -> list[str]:
    algos = list(ALGOS)
    lines = ["| dataset | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
    for d in datasets:
        lines.append(f"| {dataset_slug(d)} | " +
                     " | ".join(_cell(by[a].get(d, [])) for a in algos) + " |")
    envs = list(dict.fromkeys(_env(d) for d in datasets))
    for env in envs:
        group = [d for d in datasets if _env(d) == env]
        lines.append(f"| **{env} average** | " +
                     " | ".join(_avg(by[a], group) for a in algos) + " |")
    lines.append("| **overall average** | " +
                 " | ".join(_avg(by[a], datasets) for a in algos) + " |")
    return lines


def _scores(runs: list[Run], key: str) -> dict[str, dict[str, list[float]]]:
    by: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in runs:
        by[r.algo][r.dataset].append(float(r.final[key]))
    return by


def aggregate_table(last: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| algo | datasets | seeds per dataset | IQM | 95% CI | mean |",
             "|---|---|---|---|---|---|"]
    for algo in ALGOS:
        found = algo_matrix(last.get(algo, {}))
        if found is None:
            lines.append(f"| {algo} | 0 | 0 | — | — | — |")
            continue
        datasets, m = found
        iqm, lo, hi = iqm_with_ci(m)
        lines.append(f"| {algo} | {len(datasets)} | {m.shape[0]} | {iqm:.1f} | "
                     f"[{lo:.1f}, {hi:.1f}] | {m.mean():.1f} |")
    return lines


def improvement_table(last: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| comparison | datasets | seeds per dataset | P(X > Y) | 95% CI |",
             "|---|---|---|---|---|"]
    for x, y in COMPARISONS:
        common = full_seed_datasets({d: min(len(v), len(last.get(y, {}).get(d, [])))
                                     for d, v in last.get(x, {}).items()})
        if not common:
            lines.append(f"| {x} > {y} | 0 | 0 | — | — |")
            continue
        mx, my = score_matrix(last[x], common), score_matrix(last[y], common)
        n = min(mx.shape[0], my.shape[0])
        p, lo, hi = probability_of_improvement(mx[:n], my[:n])
        lines.append(f"| {x} > {y} | {len(common)} | {n} | {p:.2f} | [{lo:.2f}, {hi:.2f}] |")
    return lines


def provenance_lines(runs: list[Run]) -> list[str]:
    commits = sorted({r.final.get("git_commit", "unknown")[:12] for r in runs})
    hardware = sorted({r.final.get("hardware", "unknown") for r in runs})
    devices = sorted({r.final.get("device", "unknown") for r in runs})
    return [f"- {len(runs)} runs; code commits: {', '.join(commits)}",
            f"- devices: {', '.join(devices)}; hardware: {'; '.join(hardware)}"]


def schedule_section(schedule: str, runs: list[Run], plot_dir: Path, draw: bool) -> list[str]:
    from curatedrl.benchmarks.plots import write_plots

    datasets = suite_datasets()
    datasets += sorted({r.dataset for r in runs} - set(datasets))
    last, best = _scores(runs, "normalized_score_last"), _scores(runs, "normalized_score_best")
    plots = write_plots(schedule, runs, datasets, last, plot_dir, draw)
    schedule_file = SCHEDULE_DIR / f"{schedule}.yaml"
    lines = [f"## Schedule `{schedule}`", ""]
    if schedule_file.exists():
        lines.append(f"Training schedule: `benchmarks/configs/schedules/{schedule}.yaml` "
                     f"(its comments say how it differs from the published recipes).")
    lines += provenance_lines(runs)
    lines += ["", "### Last normalised score", "",
              "Final evaluation, mean ± std over seeds (number of seeds in brackets); averages "
              "are over the datasets' means and need every dataset of the group (`— (k/n)`: "
              "k of its n datasets have results).", ""]
    lines += score_table(last, datasets)
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
    lines += ["", "### Probability of improvement", "",
              "P(X > Y): the probability that a run of X scores higher than a run of Y on the "
              "same dataset, averaged over the datasets where both have the most seeds "
              "(Agarwal et al. 2021), with "
              "a 95% stratified-bootstrap interval.", ""]
    lines += improvement_table(last)
    lines += ["", "### Plots", ""] + [f"![{title}]({path.as_posix()})" for title, path in plots]
    lines += ["", f"Reproduce: `make reproduce SUITE=all SEEDS=5 SCHEDULE={schedule}` then "
              "`make leaderboard`.", ""]
    return lines


def build(results: Path = Path("results"), out: Path = Path("LEADERBOARD.md"),
          plot_dir: Path = PLOT_DIR, draw: bool = True) -> str:
    """Write LEADERBOARD.md (and, if ``draw``, the plots) from the results tree; returns the
    markdown."""
    runs = load_runs(results)
    lines = ["# Leaderboard", "",
             "Generated by `make leaderboard` (`curatedrl leaderboard`) from the run files in "
             "`results/` only — edit those, never this file. Scores are D4RL-normalised "
             "(100 · (R − random) / (expert − random), with each dataset's own reference "
             "returns). Every algorithm of the registry and every dataset of the suites "
             "appears; `— (0)` marks a cell with no results yet.", ""]
    schedules = sorted({r.schedule for r in runs})
    if not schedules:
        lines += ["No results yet: run `make reproduce`.", ""]
    for schedule in schedules:
        lines += schedule_section(schedule, [r for r in runs if r.schedule == schedule],
                                  plot_dir, draw)
    text = "\n".join(lines).rstrip() + "\n"
    atomic_write_text(out, text)
    return text
