"""Plain-text tables for the command line (and the table of the algorithms' episode views)."""

from __future__ import annotations

from typing import Any, Sequence


def fmt(value: Any) -> str:
    """Numbers to 2 decimals (integers as they are), None as '-', the rest as str."""
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A left-aligned table with a header rule."""
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells])


def views_table(ds) -> str:
    """One column per distinct episode view the algorithms' default configs train on (what
    ``EpisodeView.summary`` says a draw holds), with the algorithms that use it."""
    from curatedrl.algos import ALGOS

    users: dict[str, list[str]] = {}
    views: dict[str, dict[str, Any]] = {}
    for name, cls in ALGOS.items():
        view = cls(cls.config_cls(), ds.metadata.obs_dim, ds.metadata.act_dim).select(ds)
        users.setdefault(view.description, []).append(name)
        views.setdefault(view.description, view.summary())
    fields = list(next(iter(views.values())))[1:]
    rows = [("used by", *(", ".join(users[v]) for v in views))]
    rows += [(f, *(_count(views[v][f]) for v in views)) for f in fields]
    return table(rows, ["view", *views])


def _count(x: Any) -> str:
    """Shares (< 1) to 3 significant digits, other numbers with thousands separators."""
    if isinstance(x, float):
        return f"{x:,.3g}" if abs(x) < 1 else f"{x:,.0f}"
    return f"{x:,}"
