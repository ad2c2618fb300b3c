"""What a leaderboard section's tables show: the algorithms and the datasets with averaged runs
in that section, and the group averages (``sections.env_groups``) that at least one of those
algorithms has every dataset of. The groups keep their full definition: a "hopper average"
needs all of hopper's datasets, shown or not. What is left out is named in one line
(``left_out``), so nothing disappears silently. LEADERBOARD.md (``md_tables.py``) and
the site (``site_tables.py``) read the same lists."""

from __future__ import annotations

from curatedrl.algos import ALGOS
from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.sections import Section, env_groups


def shown_algos(sec: Section) -> list[str]:
    """The registry's algorithms with averaged runs in the section, in registry order (the
    admission keeps every other algorithm's runs apart)."""
    have = {r.algo for r in sec.runs}
    return [a for a in ALGOS if a in have]


def shown_datasets(sec: Section) -> list[str]:
    """The section's datasets (the suites', then any other of its runs) with averaged runs."""
    have = {r.dataset for r in sec.runs}
    return [d for d in sec.datasets if d in have]


def shown_groups(sec: Section) -> list[tuple[str, list[str]]]:
    """The (label, datasets) of ``env_groups`` over all the section's datasets for which at
    least one shown algorithm has runs on every dataset of the group."""
    cells = {(r.algo, r.dataset) for r in sec.runs}
    return [(label, group) for label, group in env_groups(sec.datasets)
            if any(all((a, d) in cells for d in group) for a in shown_algos(sec))]


def left_out(sec: Section) -> str | None:
    """One line that names the registry's algorithms and the section's datasets its tables
    leave out (no averaged run in the section); None when nothing is left out. Plain text:
    the caller escapes it for its format."""
    algos = [a for a in ALGOS if a not in shown_algos(sec)]
    datasets = [dataset_slug(d) for d in sec.datasets if d not in shown_datasets(sec)]
    parts = ([f"algorithms without runs in this section: {', '.join(algos)}"] if algos else []) \
        + ([f"datasets without runs: {', '.join(datasets)}"] if datasets else [])
    if not parts:
        return None
    text = "; ".join(parts)
    return f"The tables show only what this section has run. {text[0].upper()}{text[1:]}."
