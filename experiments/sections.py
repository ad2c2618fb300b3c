"""The leaderboard's sections: one per (schedule, data source), never mixed, with what every
table and plot of LEADERBOARD.md (``leaderboard.py``) and of the site (``site.py``) is computed
from: admitted and excluded runs, scores per algorithm and dataset, group averages, IQM rows,
the paper's claims as probabilities of improvement, and the training budget of each algorithm.
Nothing here depends on the clock or the machine."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.experiments.admission import admit
from curatedrl.experiments.cell_config import load_suites
from curatedrl.experiments.results import Run, load_runs
from curatedrl.experiments.stats import algo_matrix, full_seed_datasets, iqm_with_ci, \
    mean_std, probability_of_improvement, score_matrix

# The paper's claims (arXiv 2507.12856) as comparisons (X, Y, tier of the datasets compared or
# None for all of them), then one more for scale: iw-BC against plain BC.
COMPARISONS = [("iw_bc", "filtered_bc", None), ("filtered_bc", "bc", "medium-replay"),
               ("filtered_bc", "bc", "medium-expert"), ("iw_bc_q", "sft_q", None),
               ("iw_bc", "bc", None)]


PLOT_DIR = Path("docs") / "leaderboard"


# sections shown first: the paper's protocol, then its CPU form, then that form at k = 32
FIRST = ("paper", "paper-sampled", "paper-sampled-k32")


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
    earlier: list[Run] = field(default_factory=list)  # of ``runs``: on earlier dataset bytes
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
        from curatedrl.experiments.reproduce import cell_command

        return cell_command(self.schedule, algo, dataset,
                            seed_count(self.cell_runs(algo, dataset)), data_flags(self.source))

    def commands(self) -> list[str]:
        """The ``make reproduce`` lines that rerun exactly the cells these runs came from."""
        from curatedrl.experiments.reproduce import section_commands

        return section_commands(self.schedule, self.runs, suite_datasets(self.source),
                                data_flags(self.source, make=True))


def seed_count(runs: list[Run]) -> int:
    """Seeds 0..N-1 that cover ``runs`` (5 without runs): the ``--seeds`` that reproduces them."""
    return 1 + max((int(r.final["seed"]) for r in runs), default=4)


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


def claim_pairs() -> list[tuple[str, str]]:
    """The distinct (X, Y) of ``COMPARISONS``, in order."""
    return list(dict.fromkeys((x, y) for x, y, _ in COMPARISONS))


def dataset_claim_rows(last: dict[str, dict[str, list[float]]], datasets: list[str]
                       ) -> list[tuple[str, list[dict[str, Any] | None]]]:
    """Per dataset with results, per ``claim_pairs()``: P(X > Y) on that dataset alone over the
    seeds both have (at least 2), with its CI and reading; None where they have fewer."""
    rows = []
    for d in datasets:
        cells: list[dict[str, Any] | None] = []
        for x, y in claim_pairs():
            a, b = last.get(x, {}).get(d, []), last.get(y, {}).get(d, [])
            n = min(len(a), len(b))
            if n < 2:
                cells.append(None)
                continue
            mx, my = score_matrix({d: a[:n]}, [d]), score_matrix({d: b[:n]}, [d])
            p, lo, hi = probability_of_improvement(mx, my)
            cells.append({"seeds": n, "p": p, "lo": lo, "hi": hi, "reading": reading(lo, hi)})
        if any(c is not None for c in cells):
            rows.append((d, cells))
    return rows


def claim_text(c: dict[str, Any] | None) -> str:
    """A ``dataset_claim_rows`` cell as text: P [lo, hi], then X or Y where the interval excludes
    0.5 (that one higher); — without one."""
    if c is None:
        return "—"
    mark = {"X higher": " X", "Y higher": " Y"}.get(c["reading"], "")
    return f"{c['p']:.2f} [{c['lo']:.2f}, {c['hi']:.2f}]{mark}"


def percent(x: float) -> str:
    """A fraction as a percentage: one decimal from 1% up, two significant digits below, so a
    budget of 550 of 1,000,000 steps reads 0.055% rather than 0.1%."""
    return f"{x:.1%}" if x >= 0.01 else f"{100 * x:.2g}%"


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
        frac = ", ".join(percent((a + b) / (pub[0] + pub[1])) +
                         (f", on {k} sampled steps per episode" if k else "")
                         for a, b, k in sorted(trained))
        rows.append((algo, shown, f"{pub[0]:,}" + (f" + {pub[1]:,} stage 1" if pub[1] else ""),
                     frac))
    return rows


def budget_lines(runs: list[Run]) -> list[str]:
    rows = budget_rows(runs)
    return ["- gradient steps trained (fraction of the published budget, the algorithm's default "
            "config): " + "; ".join(f"{a} {t} of {p} ({f})" for a, t, p, f in rows)] if rows else []


def run_seconds(run: Run) -> float:
    """A run's share of its process's wall time: a process that trained several seeds
    (``stacked_seeds`` in its final.json) records its whole wall time in each of them, so each
    of its runs counts for ``wall_time_s / len(stacked_seeds)``."""
    return float(run.final.get("wall_time_s", 0.0)) / \
        max(1, len(run.final.get("stacked_seeds") or [0]))


def compute_rows(runs: list[Run]) -> list[tuple[str, int, float]]:
    """Per algorithm with runs: (algo, runs, hours of run wall time summed by ``run_seconds``)."""
    rows = []
    for algo in ALGOS:
        mine = [r for r in runs if r.algo == algo]
        if mine:
            rows.append((algo, len(mine), sum(run_seconds(r) for r in mine) / 3600.0))
    return rows


def dataset_compute_rows(runs: list[Run], datasets: list[str]
                         ) -> list[tuple[str, int, float, dict[str, float]]]:
    """Per dataset with runs: (dataset, runs, hours of run wall time, {algo: mean minutes per
    run} over the algorithms with runs there), from ``run_seconds``."""
    rows = []
    for d in datasets:
        mine = [r for r in runs if r.dataset == d]
        if not mine:
            continue
        minutes = {}
        for algo in ALGOS:
            theirs = [run_seconds(r) for r in mine if r.algo == algo]
            if theirs:
                minutes[algo] = sum(theirs) / len(theirs) / 60.0
        rows.append((d, len(mine), sum(run_seconds(r) for r in mine) / 3600.0, minutes))
    return rows


def compute_algos(rows: list[tuple[str, int, float, dict[str, float]]]) -> list[str]:
    """The algorithms of ``dataset_compute_rows`` with runs on any dataset, in registry order."""
    return [a for a in ALGOS if any(a in minutes for *_, minutes in rows)]


def data_lines(sec: Section) -> list[str]:
    """One line when some averaged runs were trained on an earlier generation of their data."""
    if not sec.earlier:
        return []
    rest = len(sec.runs) - len(sec.earlier)
    return [f"- data: {len(sec.earlier)} of these {len(sec.runs)} runs were trained on an "
            f"earlier generation of their datasets (the content hashes datasets/manifest.json "
            f"keeps as `earlier_hashes`: the same behaviour policies, seeds and sizes, other "
            f"bytes; the first generator's policy forward pass depended on the CPU, so those "
            f"bytes regenerate only on the CPU type that made them; docs/datasets.md)"
            + (f", the other {rest} on the current ones" if rest else "")]


def compute_lines(runs: list[Run]) -> list[str]:
    rows = compute_rows(runs)
    if not rows:
        return []
    total = sum(h for _, _, h in rows)
    return [f"- compute: {total:.1f} h of run wall time in all, as recorded by each run (one "
            f"process per run, or per stacked group of seeds; the hardware line says how many "
            f"threads): " + "; ".join(f"{a} {h:.2f} h over {n} runs" for a, n, h in rows)]


def make_section(schedule: str, source: str, runs: list[Run], results: Path, plot_dir: Path,
                 draw: bool, expected_hash: Callable[[str], str | None] | None = None,
                 earlier_hashes: Callable[[str], list[str]] | None = None) -> Section:
    from curatedrl.experiments.plots import write_plots

    verdict = admit(runs, results, expected_hash, earlier_hashes)
    datasets = suite_datasets(source)
    datasets += sorted({r.dataset for r in runs} - set(datasets))
    sec = Section(schedule, source, verdict.admitted, verdict.excluded, datasets,
                  earlier=verdict.earlier)
    sec.last = _scores(sec.runs, "normalized_score_last")
    sec.best = _scores(sec.runs, "normalized_score_best")
    sec.plots = write_plots(sec.slug, sec.title, sec.runs, datasets, sec.last, plot_dir, draw)
    return sec


def section_order(key: tuple[str, str]) -> tuple[int, str, str]:
    """The schedules that answer the paper's question first (``FIRST``), then by name."""
    schedule, source = key
    return (FIRST.index(schedule) if schedule in FIRST else len(FIRST), schedule, source)


def build_sections(results: Path = Path("results"), plot_dir: Path = PLOT_DIR,
                   draw: bool = True,
                   expected_hash: Callable[[str], str | None] | None = None,
                   earlier_hashes: Callable[[str], list[str]] | None = None) -> list[Section]:
    runs = load_runs(results)
    keys = sorted({section_key(r) for r in runs}, key=section_order)
    return [make_section(schedule, source, [r for r in runs if section_key(r) == (schedule,
                                                                                  source)],
                         results, plot_dir, draw, expected_hash, earlier_hashes)
            for schedule, source in keys]
