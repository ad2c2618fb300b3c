"""What every leaderboard plot shares: each algorithm's one colour, the order algorithms are
listed in, and matplotlib without a display.

The registered algorithms have a fixed map (matplotlib's tab10). Any other algorithm (one a pull
request adds before its colour is chosen) takes a colour of a second palette, ``EXTRA_COLORS``,
chosen so that each of its colours is at least ``MIN_DELTA_E`` (CIE76 ΔE in CIELAB) from every
fixed colour and from each other: its slot is drawn from a hash of its name (the same on every
machine and whatever else is registered) and, in one figure, moved to the next free slot when
another algorithm of the figure already holds it (``algo_colors``). Only a figure with more other
algorithms than the palette has colours reuses one.
"""

from __future__ import annotations

import hashlib

from curatedrl.algos import ALGOS

# One colour per registered algorithm (matplotlib's tab10), never reused by another algorithm.
ALGO_COLORS = {
    "bc": "#1f77b4", "filtered_bc": "#ff7f0e", "iw_bc": "#2ca02c", "sft_q": "#d62728",
    "iw_bc_q": "#9467bd", "td3_bc": "#8c564b", "iql": "#e377c2", "cql": "#7f7f7f",
    "awac": "#bcbd22", "rebrac": "#17becf",
}
# For any other algorithm: far from every colour above and from each other (tests/test_plots.py
# checks the distances).
EXTRA_COLORS = ("#000000", "#a6761d", "#01665e", "#c51b7d", "#fb9a99", "#1b9e77", "#053061",
                "#b8e186", "#ff00ff", "#800000", "#4b0082")
MIN_DELTA_E = 25.0


def _slot(algo: str) -> int:
    return int.from_bytes(hashlib.sha256(algo.encode()).digest()[:4], "big") % len(EXTRA_COLORS)


def algo_color(algo: str) -> str:
    """The algorithm's colour: the fixed map, else the ``EXTRA_COLORS`` slot of its name."""
    return ALGO_COLORS.get(algo) or EXTRA_COLORS[_slot(algo)]


def algo_colors(algos) -> dict[str, str]:
    """The colours of one figure's algorithms: ``algo_color``, except that an algorithm outside
    the fixed map whose slot another one of the figure (earlier by name) holds takes the next
    free slot, so no two share a colour while the palette lasts."""
    out = {a: ALGO_COLORS[a] for a in algos if a in ALGO_COLORS}
    taken: set[int] = set()
    for algo in sorted(a for a in set(algos) if a not in ALGO_COLORS):
        slot = _slot(algo)
        for step in range(len(EXTRA_COLORS)):
            if (slot + step) % len(EXTRA_COLORS) not in taken:
                slot = (slot + step) % len(EXTRA_COLORS)
                break
        taken.add(slot)
        out[algo] = EXTRA_COLORS[slot]
    return out


def plot_algos(names) -> list[str]:
    """Registry order first, then any other algorithm by name."""
    names = set(names)
    return [a for a in ALGOS if a in names] + sorted(names - set(ALGOS))


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
