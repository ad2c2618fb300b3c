"""Runs listed apart from the tables (kept out of a section, or skipped as unusable), grouped so
that hundreds of them read in a few lines: one group per reason, with its number of runs, and in
it the runs' folders by parent folder (``results/cpu/curatedrl/bc/hopper-medium/`` seed0, seed1,
seed2). Every run is still named. The same groups for LEADERBOARD.md (``listed_md``) and the
page (``listed_html``, inside a ``<details>``); every path and reason is data
(``escaping.py``)."""

from __future__ import annotations

import re
from pathlib import Path

from curatedrl.benchmarks.leaderboard.admission import shown_path
from curatedrl.benchmarks.leaderboard.escaping import html_text, md_code, md_text


def _natural(name: str) -> list:
    """seed2 before seed10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def group_listed(listed: list[tuple], results: Path
                 ) -> list[tuple[str, int, list[tuple[str, list[str]]]]]:
    """(reason, number of runs, [(parent folder, [folder names])]) per reason, the most
    common reason first (then by reason); parents by name, names in natural order."""
    groups: dict[str, dict[str, list[str]]] = {}
    for run, why in listed:
        parent, _, name = shown_path(results, run).rpartition("/")
        groups.setdefault(why, {}).setdefault(parent, []).append(name)
    out = []
    for why, parents in groups.items():
        folders = [(p, sorted(names, key=_natural)) for p, names in sorted(parents.items())]
        out.append((why, sum(len(n) for _, n in folders), folders))
    return sorted(out, key=lambda g: (-g[1], g[0]))


def _runs(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")


def listed_md(listed: list[tuple], results: Path) -> list[str]:
    """One line per reason: its number of runs, the reason, then the runs' folders."""
    lines = []
    for why, n, folders in group_listed(listed, results):
        shown = "; ".join(md_code(f"{p}/{names[0]}") if len(names) == 1 else
                          f"{md_code(p + '/')} {', '.join(md_text(x) for x in names)}"
                          for p, names in folders)
        lines.append(f"- **{_runs(n)}**: {md_text(why)} — {shown}")
    return lines


def listed_html(listed: list[tuple], results: Path, what: str) -> list[str]:
    """The groups as a small table inside a closed ``<details>`` that says how many runs and
    reasons it holds (``what``: what the runs are, e.g. "runs kept out")."""
    groups = group_listed(listed, results)
    if not groups:
        return []
    total = sum(n for _, n, _ in groups)
    out = [f'<details class="listed"><summary>{total} {html_text(what)}, '
           f"{len(groups)} reason{'' if len(groups) == 1 else 's'}</summary>",
           '<div class="scroll"><table class="listed"><thead><tr><th>runs</th><th>reason</th>'
           "<th>run folders</th></tr></thead><tbody>"]
    for why, n, folders in groups:
        shown = "<br>".join(f"<code>{html_text(p)}/{html_text(names[0])}</code>"
                            if len(names) == 1 else
                            f"<code>{html_text(p)}/</code> "
                            f"{html_text(', '.join(names))}" for p, names in folders)
        out.append(f"<tr><td>{n}</td><td>{html_text(why)}</td><td>{shown}</td></tr>")
    return out + ["</tbody></table></div></details>"]
