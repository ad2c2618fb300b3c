"""The commands that reproduce a leaderboard section or one of its cells, named from the runs the
section averages: exactly their algorithms, datasets and seeds, so that on a fresh clone the
sweep's dry run lists every committed cell as already done (``--skip-exported``) and nothing
else. Thread count and ``--skip-exported`` are always given: one thread per process is what
the committed runs used on two shared cores, and without ``--skip-exported`` a fresh clone would
train every cell again and replace its committed results."""

from __future__ import annotations

import re
import shlex
from collections import defaultdict

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.suites.cell_config import load_suites
from curatedrl.benchmarks.leaderboard.escaping import shell_word

ALWAYS = "--threads 1 --skip-exported"  # every printed reproduce command carries these


def smallest_suite(algos: set[str]) -> str:
    """The smallest suite of suites.yaml holding every algorithm of ``algos``."""
    fits = [(len(v["algos"]), name) for name, v in load_suites().items()
            if algos <= set(v["algos"])]
    return min(fits)[1] if fits else "all"


def _seed_count(seeds: set[int]) -> int:
    return 1 + max(seeds, default=4)


def run_groups(runs: list, order: list[str] = ()) -> list[tuple[list[str], list[str], int]]:
    """(algos, datasets, seed count) groups covering ``runs``: the datasets where an algorithm
    has seeds 0..N-1 (N from its highest seed there) share one sweep with every algorithm that
    has the same N on the same datasets, in registry order (datasets in ``order``, then the
    others by name). A cell with fewer seeds than another of its algorithm gets its own line,
    so no line asks for seeds the results lack beyond the gaps below their highest seed."""
    seeds: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for r in runs:
        seeds[r.algo][r.dataset].add(int(r.final["seed"]))
    groups: dict[tuple[tuple[str, ...], int], list[str]] = {}
    for algo in [a for a in ALGOS if a in seeds] + sorted(set(seeds) - set(ALGOS)):
        by = seeds[algo]
        datasets = tuple(dict.fromkeys(d for d in [*order, *sorted(by)] if d in by))
        per_count: dict[int, list[str]] = defaultdict(list)
        for d in datasets:
            per_count[_seed_count(by[d])].append(d)
        for n in sorted(per_count, reverse=True):
            groups.setdefault((tuple(per_count[n]), n), []).append(algo)
    return [(algos, list(datasets), n) for (datasets, n), algos in groups.items()]


def _narrowing(algos: list[str], datasets: list[str], suite: str,
               all_datasets: list[str]) -> str:
    """The sweep options that narrow ``suite`` to these algorithms and datasets."""
    out, suites = "", load_suites()
    if suite not in suites or set(algos) != set(suites[suite]["algos"]):
        out += "".join(f" --algo {shell_word(a)}" for a in algos)
    if set(datasets) != set(all_datasets):
        out += "".join(f" --dataset {shell_word(dataset_slug(d))}" for d in datasets)
    return out


def section_commands(schedule: str, runs: list, all_datasets: list[str], data_make: str
                     ) -> list[str]:
    """One ``make reproduce`` line per group of ``run_groups(runs)`` (``data_make``: the make
    variables of a data source other than the default, ``sections.data_flags(..., make=True)``;
    ``all_datasets``: the suites' datasets in that source)."""
    lines = []
    for algos, datasets, n in run_groups(runs, all_datasets):
        suite = smallest_suite(set(algos))
        args = ALWAYS + _narrowing(algos, datasets, suite, all_datasets)
        lines.append(f"make reproduce SUITE={suite} SEEDS={n} SCHEDULE={shell_word(schedule)}"
                     f"{data_make} {_make_var('ARGS', args)}")
    return lines


def cell_command(schedule: str, algo: str, dataset: str, seeds: int, data_flags: str) -> str:
    """The ``curatedrl sweep`` of one cell (``data_flags``: ``sections.data_flags(source)``)."""
    return (f"curatedrl sweep --suite all --schedule {shell_word(schedule)}{data_flags} --algo "
            f"{shell_word(algo)} --dataset {shell_word(dataset)} --seeds {seeds} {ALWAYS}")


def _make_var(name: str, value: str) -> str:
    """``NAME="value"`` for a make command line, or the shell-quoted form when the value holds
    anything a double-quoted word would interpret (its words are shell words already)."""
    if re.fullmatch(r"[\w ./:=,@%+'-]*", value):
        return f'{name}="{value}"'
    return f"{name}={shlex.quote(value)}"


# said beside every cell's command on the site: what a rerun trains on
RERUN_DATA = ("A rerun trains on the dataset the manifest (datasets/manifest.json) names today: "
              "its content hash may differ from the hash these runs record.")
