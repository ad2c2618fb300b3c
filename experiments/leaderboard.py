"""`make leaderboard` (`curatedrl leaderboard`): LEADERBOARD.md, the static site
(docs/leaderboard/index.html) and their plots, from results/ only.

Per (schedule, data source) section (sections are never mixed): last and best normalised score
per dataset as mean ± std over seeds with the number of seeds, per-env and overall averages, IQM
with 95% stratified-bootstrap intervals, the probability that iw-BC beats filtered BC, and PNG
plots. Runs that do not belong to their section's tables (other dataset bytes, a modified tree,
a config beyond the schedule: experiments/admission.py) are listed one line each, never averaged.
Nothing here depends on the clock or the machine: rebuilding from the same results gives the
same files.

Longer than most files here because it holds both the section model (what each table and plot
is computed from, shared with the site in site.py) and the markdown rendering of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from curatedrl.algos import ALGOS
from curatedrl.experiments import published
from curatedrl.experiments.admission import admit, shown_path
from curatedrl.experiments.cell_config import SCHEDULE_DIR, load_suites
from curatedrl.datasets.ids import dataset_slug
from curatedrl.experiments.results import Run, load_runs
from curatedrl.run.rundir import atomic_write_text
from curatedrl.experiments.stats import BOOTSTRAP_REPS, algo_matrix, full_seed_datasets, \
    iqm_with_ci, mean_std, probability_of_improvement, score_matrix

# The paper's claims (arXiv 2507.12856) as comparisons (X, Y, tier of the datasets compared or
# None for all of them), then one more for scale: iw-BC against plain BC.
COMPARISONS = [("iw_bc", "filtered_bc", None), ("filtered_bc", "bc", "medium-replay"),
               ("filtered_bc", "bc", "medium-expert"), ("iw_bc_q", "sft_q", None),
               ("iw_bc", "bc", None)]
PLOT_DIR = Path("docs") / "leaderboard"
FIRST = ("paper", "paper-sampled")  # sections shown first: the paper's protocol, then its CPU form
SOURCE = "curatedrl"  # the default data source (results/<schedule>/curatedrl/...): our datasets


def section_key(run: Run) -> tuple[str, str]:
    """(schedule, data source) of a run: the unit of every table and plot."""
    return run.schedule, getattr(run, "source", None) or SOURCE


@dataclass
class Section:
    schedule: str
    source: str
    runs: list[Run]  # the runs the tables average
    excluded: list[tuple[Run, str]]  # runs listed apart, with the reason
    datasets: list[str]
    last: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    best: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    plots: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.schedule if self.source == SOURCE else f"{self.schedule}-{self.source}"

    @property
    def title(self) -> str:
        return f"schedule {self.schedule}, data {self.source}"

    def cell_runs(self, algo: str, dataset: str) -> list[Run]:
        return [r for r in self.runs if r.algo == algo and r.dataset == dataset]

    def command(self, algo: str, dataset: str) -> str:
        """The command that reproduces a cell (the sweep resolves configs as these runs did)."""
        seeds = 1 + max((int(r.final["seed"]) for r in self.cell_runs(algo, dataset)),
                        default=4)
        return (f"curatedrl sweep --suite all --schedule {self.schedule}{data_flags(self.source)}"
                f" --algo {algo} --dataset {dataset} --seeds {seeds}")


def data_flags(source: str, make: bool = False) -> str:
    """The sweep's (or make's) options that name a data source other than the default."""
    if source == SOURCE:
        return ""
    where = {"d4rl": ("--data-dir ~/.d4rl/datasets", "D4RL_DIR=~/.d4rl/datasets")}.get(source)
    flags = (f" DATA={source}" if make else f" --data {source}")
    return flags + (f" {where[make]}" if where else "")


def suite_datasets(source: str = SOURCE) -> list[str]:
    """The suites' datasets as the data source holds them (``experiments/sources.py``)."""
    from curatedrl.experiments.sources import section_datasets

    seen: dict[str, None] = {}
    for spec in load_suites().values():
        seen.update(dict.fromkeys(spec["datasets"]))
    return section_datasets(source, list(seen))


def _env(dataset: str) -> str:
    return dataset_slug(dataset).split("-", 1)[0]


def _cell(values: list[float]) -> str:
    if not values:
        return "— (0)"
    mean, std = mean_std(values)
    return f"{mean:.1f} ± {std:.1f} ({len(values)})" if std is not None else \
        f"{mean:.1f} ({len(values)})"


def group_average(scores: dict[str, list[float]], datasets: list[str]
                  ) -> tuple[float | None, int]:
    """Mean over the datasets' means (None unless every dataset has results), and how many
    of the datasets have results."""
    have = [d for d in datasets if scores.get(d)]
    if len(have) < len(datasets):
        return None, len(have)
    return sum(mean_std(scores[d])[0] for d in datasets) / len(datasets), len(have)


def env_groups(datasets: list[str]) -> list[tuple[str, list[str]]]:
    """(label, datasets) of every per-env average and the overall average."""
    envs = list(dict.fromkeys(_env(d) for d in datasets))
    return [(f"{env} average", [d for d in datasets if _env(d) == env]) for env in envs] + \
        [("overall average", datasets)]


def _avg(scores: dict[str, list[float]], datasets: list[str]) -> str:
    value, have = group_average(scores, datasets)
    return f"— ({have}/{len(datasets)})" if value is None else f"{value:.1f}"


def score_table(by: dict[str, dict[str, list[float]]], datasets: list[str]) -> list[str]:
    algos = list(ALGOS)
    lines = ["| dataset | " + " | ".join(algos) + " |", "|---" * (len(algos) + 1) + "|"]
    for d in datasets:
        lines.append(f"| {dataset_slug(d)} | " +
                     " | ".join(_cell(by[a].get(d, [])) for a in algos) + " |")
    for label, group in env_groups(datasets):
        lines.append(f"| **{label}** | " + " | ".join(_avg(by[a], group) for a in algos) + " |")
    return lines


def _scores(runs: list[Run], key: str) -> dict[str, dict[str, list[float]]]:
    by: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in runs:
        by[r.algo][r.dataset].append(float(r.final[key]))
    return by


def aggregate_rows(last: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    """Per registered algorithm: datasets, seeds per dataset, IQM with its CI and mean (None
    without results)."""
    rows = []
    for algo in ALGOS:
        found = algo_matrix(last.get(algo, {}))
        if found is None:
            rows.append({"algo": algo, "datasets": 0, "seeds": 0, "iqm": None})
            continue
        datasets, m = found
        iqm, lo, hi = iqm_with_ci(m)
        rows.append({"algo": algo, "datasets": len(datasets), "seeds": m.shape[0], "iqm": iqm,
                     "lo": lo, "hi": hi, "mean": float(m.mean())})
    return rows


def aggregate_table(last: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| algo | datasets | seeds per dataset | IQM | 95% CI | mean |",
             "|---|---|---|---|---|---|"]
    for r in aggregate_rows(last):
        lines.append(f"| {r['algo']} | 0 | 0 | — | — | — |" if r["iqm"] is None else
                     f"| {r['algo']} | {r['datasets']} | {r['seeds']} | {r['iqm']:.1f} | "
                     f"[{r['lo']:.1f}, {r['hi']:.1f}] | {r['mean']:.1f} |")
    return lines


def _tier(dataset: str) -> str:
    """``hopper-medium-replay`` (or ``-small`` / ``-tiny``) -> ``medium-replay``."""
    tier = dataset_slug(dataset).split("-", 1)[-1]
    return tier.removesuffix("-small").removesuffix("-tiny")


def reading(lo: float, hi: float) -> str:
    """What a P(X > Y) interval says: X higher (it excludes 0.5 from above), Y higher (from
    below), or not separated."""
    return "X higher" if lo > 0.5 else "Y higher" if hi < 0.5 else "not separated"


def improvement_rows(last: dict[str, dict[str, list[float]]]) -> list[dict[str, Any]]:
    """Per comparison (X, Y, tier): datasets, seeds per dataset, P(X > Y) with its CI and its
    reading (None without common results)."""
    rows = []
    for x, y, tier in COMPARISONS:
        name = f"{x} > {y}" + (f" ({tier})" if tier else "")
        common = full_seed_datasets({d: min(len(v), len(last.get(y, {}).get(d, [])))
                                     for d, v in last.get(x, {}).items()
                                     if tier is None or _tier(d) == tier})
        if not common:
            rows.append({"name": name, "datasets": 0, "seeds": 0, "p": None})
            continue
        mx, my = score_matrix(last[x], common), score_matrix(last[y], common)
        n = min(mx.shape[0], my.shape[0])
        p, lo, hi = probability_of_improvement(mx[:n], my[:n])
        rows.append({"name": name, "datasets": len(common), "seeds": n, "p": p, "lo": lo,
                     "hi": hi, "reading": reading(lo, hi)})
    return rows


def improvement_table(last: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| comparison | datasets | seeds per dataset | P(X > Y) | 95% CI | reading |",
             "|---|---|---|---|---|---|"]
    for r in improvement_rows(last):
        lines.append(f"| {r['name']} | 0 | 0 | — | — | — |" if r["p"] is None else
                     f"| {r['name']} | {r['datasets']} | {r['seeds']} | {r['p']:.2f} | "
                     f"[{r['lo']:.2f}, {r['hi']:.2f}] | {r['reading']} |")
    return lines


def budget_rows(runs: list[Run]) -> list[tuple[str, str, str, str]]:
    """Per algorithm with runs: (algo, gradient steps trained, its published budget, fraction).
    The published budget is the algorithm's default config (the recipe: the `paper` schedule);
    two-stage algorithms add their stage 1 (``ref_steps``), read from each run's config.yaml, and
    a BC-family gradient on k sampled steps per episode says so (a cheaper step)."""
    from curatedrl.run.rundir import read_yaml

    rows = []
    for algo, cls in ALGOS.items():
        mine = [r for r in runs if r.algo == algo]
        if not mine:
            continue
        default = cls.config_cls()
        pub = (default.steps, getattr(default, "ref_steps", 0))
        trained = set()
        for r in mine:
            cfg = read_yaml(r.path / "config.yaml") if r.path is not None and \
                (r.path / "config.yaml").exists() else {}
            trained.add((int(r.final["steps"]), int(cfg.get("ref_steps", 0) or 0),
                         int(cfg.get("steps_per_episode", 0) or 0)))
        shown = ", ".join(f"{a:,}" + (f" + {b:,} stage 1" if b else "")
                          for a, b, _ in sorted(trained))
        frac = ", ".join(f"{(a + b) / (pub[0] + pub[1]):.1%}" +
                         (f", on {k} sampled steps per episode" if k else "")
                         for a, b, k in sorted(trained))
        rows.append((algo, shown, f"{pub[0]:,}" + (f" + {pub[1]:,} stage 1" if pub[1] else ""),
                     frac))
    return rows


def budget_lines(runs: list[Run]) -> list[str]:
    rows = budget_rows(runs)
    return ["- gradient steps trained (fraction of the published budget, the algorithm's default "
            "config): " + "; ".join(f"{a} {t} of {p} ({f})" for a, t, p, f in rows)] if rows else []


def provenance_lines(runs: list[Run]) -> list[str]:
    commits = sorted({r.final.get("git_commit", "unknown")[:12] for r in runs})
    hardware = sorted({r.final.get("hardware", "unknown") for r in runs})
    devices = sorted({r.final.get("device", "unknown") for r in runs})
    return [f"- {len(runs)} runs; code commits: {', '.join(commits)}",
            f"- devices: {', '.join(devices)}; hardware: {'; '.join(hardware)}"]


def make_section(schedule: str, source: str, runs: list[Run], results: Path, plot_dir: Path,
                 draw: bool, expected_hash: Callable[[str], str | None] | None = None
                 ) -> Section:
    from curatedrl.experiments.plots import write_plots

    verdict = admit(runs, results, expected_hash)
    datasets = suite_datasets(source)
    datasets += sorted({r.dataset for r in runs} - set(datasets))
    sec = Section(schedule, source, verdict.admitted, verdict.excluded, datasets)
    sec.last = _scores(sec.runs, "normalized_score_last")
    sec.best = _scores(sec.runs, "normalized_score_best")
    sec.plots = write_plots(sec.slug, sec.title, sec.runs, datasets, sec.last, plot_dir, draw)
    return sec


def excluded_lines(sec: Section, results: Path) -> list[str]:
    return [f"- `{shown_path(results, r)}`: {why}" for r, why in sec.excluded]


def schedule_section(sec: Section, results: Path) -> list[str]:
    schedule, runs, datasets = sec.schedule, sec.runs, sec.datasets
    last, best, plots = sec.last, sec.best, sec.plots
    schedule_file = SCHEDULE_DIR / f"{schedule}.yaml"
    heading = f"## Schedule `{schedule}`" + ("" if sec.source == SOURCE else
                                             f", data `{sec.source}`")
    lines = [heading, ""]
    if schedule_file.exists():
        lines.append(f"Training schedule: `experiments/configs/schedules/{schedule}.yaml` "
                     f"(its comments say how it differs from the published recipes).")
    if sec.source != SOURCE:
        from curatedrl.experiments.sources import source_spec

        lines.append(f"Data `{sec.source}`: {' '.join(source_spec(sec.source)['about'].split())}.")
    lines += provenance_lines(runs) + budget_lines(runs)
    lines += ["", "### Last normalised score", "",
              "Final evaluation, mean ± std over seeds (number of seeds in brackets); averages "
              "are over the datasets' means and need every dataset of the group (`— (k/n)`: "
              "k of its n datasets have results).", ""]
    lines += score_table(last, datasets)
    lines += published.markdown(sec.source, last, datasets, dataset_slug)
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
              "a 95% stratified-bootstrap interval. The first four rows are the paper's claims "
              "(iw-BC ≥ filtered BC; filtered BC > BC on medium-replay and on medium-expert; "
              "iw-BC(Q) ≥ SFT(Q)); the reading says whether the interval excludes 0.5.", ""]
    lines += improvement_table(last)
    if sec.excluded:
        lines += ["", "### Runs kept out of these tables", "",
                  "Made on other dataset bytes, from a modified tree or with a config beyond "
                  "the schedule: listed, never averaged.", ""]
        lines += excluded_lines(sec, results)
    lines += ["", "### Plots", ""] + [f"![{title}]({path.as_posix()})" for title, path in plots]
    seeds = 1 + max((int(r.final["seed"]) for r in sec.runs), default=4)
    lines += ["", f"Reproduce: `make reproduce SUITE={reproduce_suite(sec.runs)} SEEDS={seeds} "
              f"SCHEDULE={schedule}"
              f"{data_flags(sec.source, make=True)}` then `make leaderboard`.", ""]
    return lines


def section_order(key: tuple[str, str]) -> tuple[int, str, str]:
    """The schedules that answer the paper's question first (``FIRST``), then by name."""
    schedule, source = key
    return (FIRST.index(schedule) if schedule in FIRST else len(FIRST), schedule, source)


def reproduce_suite(runs: list[Run]) -> str:
    """The smallest suite of suites.yaml holding every algorithm with runs in a section."""
    algos = {r.algo for r in runs}
    fits = [(len(v["algos"]), name) for name, v in load_suites().items()
            if algos <= set(v["algos"])]
    return min(fits)[1] if fits else "all"


def build_sections(results: Path = Path("results"), plot_dir: Path = PLOT_DIR,
                   draw: bool = True,
                   expected_hash: Callable[[str], str | None] | None = None) -> list[Section]:
    runs = load_runs(results)
    keys = sorted({section_key(r) for r in runs}, key=section_order)
    return [make_section(schedule, source, [r for r in runs if section_key(r) == (schedule,
                                                                                  source)],
                         results, plot_dir, draw, expected_hash) for schedule, source in keys]


def build(results: Path = Path("results"), out: Path = Path("LEADERBOARD.md"),
          plot_dir: Path = PLOT_DIR, draw: bool = True, site: bool = False,
          expected_hash: Callable[[str], str | None] | None = None) -> str:
    """Write LEADERBOARD.md (and, if ``draw``, the plots; if ``site``,
    ``<plot_dir>/index.html``) from the results tree; returns the markdown."""
    sections = build_sections(results, plot_dir, draw, expected_hash)
    lines = ["# Leaderboard", "",
             "Generated by `make leaderboard` (`curatedrl leaderboard`) from the run files in "
             "`results/` only — edit those, never this file. Scores are D4RL-normalised "
             "(100 · (R − random) / (expert − random), with each dataset's own reference "
             "returns). Every algorithm of the registry and every dataset of the suites "
             "appears; `— (0)` marks a cell with no results yet. The same tables, sortable and "
             "with every cell's runs and command, are in the static page "
             "[docs/leaderboard/index.html](docs/leaderboard/index.html) (open it from disk).",
             ""]
    if not sections:
        lines += ["No results yet: run `make reproduce`.", ""]
    for sec in sections:
        lines += schedule_section(sec, results)
    text = "\n".join(lines).rstrip() + "\n"
    atomic_write_text(out, text)
    if site:
        from curatedrl.experiments.site import write_site

        write_site(sections, results, plot_dir / "index.html")
    return text
