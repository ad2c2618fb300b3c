"""Table helpers shared by the headline, compute and tuning views (``headline.py``,
``compute_view.py``, ``tuning_view.py``): a Markdown table and a sortable HTML table in the site's
markup (``site.js`` sorts a ``table.sortable`` by each cell's ``data-sort``). Callers pass cell
text already escaped for its format (``escaping.py``)."""

from __future__ import annotations

from curatedrl.benchmarks.leaderboard.escaping import html_text
from curatedrl.benchmarks.leaderboard.stats import mean_std


def score_text(values: list[float]) -> str:
    """Mean ± std over seeds with their number, as the score tables show it."""
    if not values:
        return "— (0)"
    mean, std = mean_std(values)
    return f"{mean:.1f}" + (f" ± {std:.1f}" if std is not None else "") + f" ({len(values)})"


def md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|---" * len(headers) + "|"] + \
        ["| " + " | ".join(row) + " |" for row in rows]


def html_table(table_id: str, headers: list[tuple[str, str]],
               rows: list[list[tuple[str, str]]]) -> list[str]:
    """A sortable table: headers (label, num|text), rows of (sort key, cell html)."""
    head = "".join(f'<th data-type="{kind}">{html_text(h)}</th>' for h, kind in headers)
    out = [f'<div class="scroll"><table class="sortable" id="{table_id}">',
           f"<thead><tr>{head}</tr></thead><tbody>"]
    out += ["<tr>" + "".join(f'<td data-sort="{html_text(k)}">{v}</td>' for k, v in row) +
            "</tr>" for row in rows]
    return out + ["</tbody></table></div>"]
