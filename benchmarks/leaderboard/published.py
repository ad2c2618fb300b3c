"""Published scores shown next to the project's cells: CORL's LAST scores on D4RL Gym-MuJoCo v2
(``published/corl_last_gym_mujoco.yaml``, copied with its citation), for the leaderboard's
``d4rl`` sections only. Nothing here is computed: the numbers are as published."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from curatedrl.run.records.rundir import read_yaml
from curatedrl.benchmarks.leaderboard.stats import mean_std

CORL_FILE = Path(__file__).resolve().parent / "published_scores" / "corl_last_gym_mujoco.yaml"
SOURCES_WITH_TABLE = ("d4rl",)
NOTE = ("10% BC is BC on the top 10% of episodes by return: the closest analogue of filtered_bc, "
        "not the same method. CORL trains for 1M steps (the `paper` schedule's lengths); other "
        "schedules train far less, so their cells are not expected to match.")


def corl() -> dict[str, Any]:
    return read_yaml(CORL_FILE)


def rows(last: dict[str, dict[str, list[float]]], datasets: list[str],
         algos: list[str] | None = None
         ) -> tuple[dict[str, Any], list[tuple[str, list[tuple[str, str, str]]]]]:
    """(the published file, [(dataset, [(algo, ours, CORL's)])]) for the datasets CORL has, with
    CORL's columns of ``algos`` (all of them by default) only."""
    pub = corl()
    if algos is not None:
        pub = {**pub, "columns": {a: n for a, n in pub["columns"].items() if a in algos}}
    out = []
    for d in datasets:
        theirs = pub["scores"].get(Path(d).name)
        if theirs is None:
            continue
        cells = []
        for algo in pub["columns"]:
            values = last.get(algo, {}).get(d, [])
            if values:
                mean, std = mean_std(values)
                ours = f"{mean:.1f} ± {std or 0.0:.1f} ({len(values)})"
            else:
                ours = "— (0)"
            m, s = theirs[algo]
            cells.append((algo, ours, f"{m:.2f} ± {s:.2f}"))
        out.append((d, cells))
    return pub, out


def _header(pub: dict[str, Any]) -> list[str]:
    return [f"{algo} ({name})" if name.lower().replace("+", "_") != algo else algo
            for algo, name in pub["columns"].items()]


def markdown(source: str, last: dict[str, dict[str, list[float]]], datasets: list[str],
             slug: Any, algos: list[str] | None = None) -> list[str]:
    if source not in SOURCES_WITH_TABLE:
        return []
    pub, table = rows(last, datasets, algos)
    if not pub["columns"] or not table:
        return []
    lines = ["", "### Published CORL scores next to these cells", "",
             f"Each cell: this project's last score (mean ± std, seeds) / CORL's published last "
             f"score (mean ± std). Source: {' '.join(pub['source'].split())} "
             f"(<{pub['url']}>). {NOTE}", "",
             "| dataset | " + " | ".join(_header(pub)) + " |",
             "|---" * (len(pub["columns"]) + 1) + "|"]
    for d, cells in table:
        lines.append(f"| {slug(d)} | " + " | ".join(f"{o} / {t}" for _, o, t in cells) + " |")
    return lines


def html(source: str, last: dict[str, dict[str, list[float]]], datasets: list[str],
         slug: Any, algos: list[str] | None = None) -> list[str]:
    if source not in SOURCES_WITH_TABLE:
        return []
    pub, table = rows(last, datasets, algos)
    if not pub["columns"] or not table:
        return []
    out = ["<h3>Published CORL scores next to these cells</h3>",
           f"<p>Each cell: this project's last score (mean ± std, seeds) / CORL's published last "
           f"score (mean ± std). Source: <a href=\"{escape(pub['url'])}\">"
           f"{escape(' '.join(pub['source'].split()))}</a>. {escape(NOTE)}</p>",
           '<div class="scroll"><table class="published"><thead><tr><th>dataset</th>' +
           "".join(f"<th>{escape(h)}</th>" for h in _header(pub)) + "</tr></thead><tbody>"]
    for d, cells in table:
        out.append(f"<tr><th>{escape(slug(d))}</th>" +
                   "".join(f"<td>{escape(o)} / {escape(t)}</td>" for _, o, t in cells) + "</tr>")
    out.append("</tbody></table></div>")
    return out
