"""A section's plots on the page: each figure links to its full-resolution PNG and sits in a
scroll box, drawn at least 600 px wide (``img.plot`` in site.css; 900 px for the learning-curve
grids, ``img.grid``: 300 px a panel), so on a phone it scrolls sideways at a legible size
instead of shrinking to the screen. On a wide screen it is drawn at its own size or the page's
width, whichever is smaller. Every figure of the page comes from here (the views' too)."""

from __future__ import annotations

from pathlib import Path

from curatedrl.benchmarks.leaderboard.escaping import html_text as escape


def figures_html(plots: list[tuple[str, Path]], section_title: str) -> list[str]:
    out = []
    for title, path in plots:
        name = escape(path.name)
        kind = "grid" if path.stem.endswith("learning-curves") or path.stem.startswith(
            "compute-") or "-tuning-" in path.stem else "plot"  # panels side by side
        out.append(f'<figure><div class="scroll"><a href="{name}" title="full-resolution PNG">'
                   f'<img src="{name}" alt="{escape(title)}, {escape(section_title)}" '
                   f'class="{kind}" loading="lazy"></a></div>'
                   f'<figcaption>{escape(title)} (<a href="{name}">full-resolution PNG</a>'
                   f")</figcaption></figure>")
    return out
