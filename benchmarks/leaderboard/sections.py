"""The leaderboard's sections: one per (schedule, data source), never mixed, with what every
table and plot of LEADERBOARD.md (``leaderboard.py``) and of the site (``site.py``) is computed
from: admitted and excluded runs, scores per algorithm and dataset, group averages, IQM rows
(the paper's claims read by the paired rule: ``claims.py``; the training budget and compute of
each algorithm: ``budget.py``). Nothing here depends on the clock or the machine."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.admission import admit
from curatedrl.benchmarks.suites.cell_config import load_suites
from curatedrl.benchmarks.leaderboard.escaping import safe_id
from curatedrl.benchmarks.leaderboard.results import Run, load_runs
from curatedrl.benchmarks.leaderboard.stats import algo_matrix, iqm_with_ci, mean_std

PLOT_DIR = Path("docs") / "leaderboard"


# sections shown first: the paper's protocol, the decisive experiment under its fine-tuning
# protocol, then the CPU form, then that form at k = 32
FIRST = ("paper", "paper-whole-ft", "paper-sampled", "paper-sampled-k32")


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
    failed: list[Run] = field(default_factory=list)  # of ``excluded``: failure records of the
    # schedule (``admission.failed_reason``)
    last: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    last_seeds: dict[str, dict[str, dict[int, float]]] = field(default_factory=dict)  # by seed
    best: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    plots: list[tuple[str, Path]] = field(default_factory=list)
    variant_runs: list[Run] = field(default_factory=list)  # admitted variants: never averaged

    @property
    def slug(self) -> str:
        """The section's DOM id and the stem of its plots' file names (``escaping.safe_id``;
        ``--`` before the source, which no id holds: schedule ``a-minari`` is not ``a``'s
        minari section)."""
        return safe_id(self.schedule) if self.source == SOURCE else \
            f"{safe_id(self.schedule)}--{safe_id(self.source)}"

    @property
    def title(self) -> str:
        return f"schedule {self.schedule}, data {self.source}"

    def cell_runs(self, algo: str, dataset: str) -> list[Run]:
        return [r for r in self.runs if r.algo == algo and r.dataset == dataset]

    def command(self, algo: str, dataset: str) -> str:
        """The command that reproduces a cell (the sweep resolves configs as these runs did)."""
        from curatedrl.benchmarks.leaderboard.reproduce import cell_command

        return cell_command(self.schedule, algo, dataset,
                            seed_count(self.cell_runs(algo, dataset)), data_flags(self.source))

    def commands(self) -> list[str]:
        """The ``make reproduce`` lines that rerun exactly the cells these runs came from and
        those of the runs on earlier data bytes (listed apart: the lines rerun them)."""
        from curatedrl.benchmarks.leaderboard.reproduce import section_commands

        return section_commands(self.schedule, [*self.runs, *self.earlier],
                                suite_datasets(self.source),
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
    """The suites' datasets as the data source holds them (``benchmarks/suites/sources.py``)."""
    from curatedrl.benchmarks.suites.sources import section_datasets

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


def _seeded(runs: list[Run], key: str) -> dict[str, dict[str, dict[int, float]]]:
    by: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in runs:
        by[r.algo][r.dataset][int(r.final["seed"])] = float(r.final[key])
    return by


def aggregate_rows(last: dict[str, dict[str, list[float]]], algos: list[str] | None = None
                   ) -> list[dict[str, Any]]:
    """Per registered algorithm (or per one of ``algos``): datasets, seeds per dataset, IQM with
    its CI and mean (None without results)."""
    rows = []
    for algo in ALGOS if algos is None else algos:
        found = algo_matrix(last.get(algo, {}))
        if found is None:
            rows.append({"algo": algo, "datasets": 0, "seeds": 0, "iqm": None})
            continue
        datasets, m = found
        iqm, lo, hi = iqm_with_ci(m)
        rows.append({"algo": algo, "datasets": len(datasets), "seeds": m.shape[0], "iqm": iqm,
                     "lo": lo, "hi": hi, "mean": float(m.mean())})
    return rows


def data_lines(sec: Section) -> list[str]:
    """One line when runs of this section were trained on an earlier generation of their data
    (listed apart, never averaged: ``admission.EARLIER_BYTES``)."""
    if not sec.earlier:
        return []
    return [f"- data: {len(sec.earlier)} runs of this section were trained on an earlier "
            f"generation of their datasets (the content hashes datasets/manifest.json keeps as "
            f"`earlier_hashes`: the same behaviour policies, seeds and sizes, other bytes; the "
            f"first generator's policy forward pass depended on the CPU, so those bytes "
            f"regenerate only on the CPU type that made them; docs/datasets.md). They are kept "
            f"out of every table below and listed apart until rerun on the current bytes (the "
            f"reproduce command reruns exactly them); the tables they made are in git history "
            f"(results/README.md)."]


def kept_out_about(sec: Section) -> str:
    """The sentence above a section's runs kept out of its tables. Plain text."""
    why = ("from a modified tree or with a config beyond the schedule" if not sec.failed else
           "from a modified tree, with a config beyond the schedule, or failed (a non-finite "
           "training metric stopped them: failure records, no scores)")
    return f"Made on other dataset bytes, {why}: listed by reason, never averaged."


def make_section(schedule: str, source: str, runs: list[Run], results: Path, plot_dir: Path,
                 draw: bool, expected_hash: Callable[[str], str | None] | None = None,
                 earlier_hashes: Callable[[str], list[str]] | None = None) -> Section:
    from curatedrl.benchmarks.leaderboard.plots import write_plots

    verdict = admit(runs, results, expected_hash, earlier_hashes)
    datasets = suite_datasets(source)
    datasets += sorted({r.dataset for r in verdict.admitted} - set(datasets))
    sec = Section(schedule, source, verdict.admitted, verdict.excluded, datasets,
                  earlier=verdict.earlier, failed=verdict.failed)
    sec.last = _scores(sec.runs, "normalized_score_last")
    sec.last_seeds = _seeded(sec.runs, "normalized_score_last")
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
                   earlier_hashes: Callable[[str], list[str]] | None = None,
                   runs: list[Run] | None = None) -> list[Section]:
    """The sections of ``runs`` (default: the runs ``load_runs`` reads from ``results``).
    Hyperparameter-variant runs are never averaged (``variants.py`` lists them apart): a
    section keeps those its admission accepts in ``variant_runs``, for the tuning-budget view
    to choose among."""
    runs = load_runs(results) if runs is None else runs
    keys = sorted({section_key(r) for r in runs}, key=section_order)
    out = []
    for key in keys:
        mine = [r for r in runs if section_key(r) == key]
        default = [r for r in mine if getattr(r, "variant", None) is None]
        sec = make_section(*key, default, results, plot_dir, draw, expected_hash,
                           earlier_hashes)
        variants = [r for r in mine if getattr(r, "variant", None) is not None]
        if variants:
            sec.variant_runs = admit(variants, results, expected_hash, earlier_hashes).admitted
        out.append(sec)
    return out
