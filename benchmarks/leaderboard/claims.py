"""The paper's claims on the leaderboard: which comparisons are read (``COMPARISONS``), each read
per dataset by the paired rule of ``paired.py`` from the runs of X and Y with the same seed, and
the rows and texts the pages show for them."""

from __future__ import annotations

from typing import Any, Collection

from curatedrl.datasets.ids import dataset_slug
from curatedrl.benchmarks.leaderboard.paired import TOO_FEW, VERDICTS, Reading, \
    paired_differences, read_claim
from curatedrl.benchmarks.leaderboard.stats import full_seed_datasets, \
    probability_of_improvement, score_matrix

# The paper's claims (arXiv 2507.12856) as comparisons (X, Y, tier of the datasets compared or
# None for all of them), then iw-BC against plain BC for scale, then the three baselines with
# the highest averages at baselines-30k against each other.
COMPARISONS = [("iw_bc", "filtered_bc", None), ("filtered_bc", "bc", "medium-replay"),
               ("filtered_bc", "bc", "medium-expert"), ("iw_bc_q", "sft_q", None),
               ("iw_bc", "bc", None), ("iql", "td3_bc", None), ("awac", "td3_bc", None),
               ("iql", "awac", None)]


def _tier(dataset: str) -> str:
    """``hopper-medium-replay`` (or ``-small`` / ``-tiny``) -> ``medium-replay``."""
    tier = dataset_slug(dataset).split("-", 1)[-1]
    return tier.removesuffix("-small").removesuffix("-tiny")


def claim_readings(seeds: dict[str, dict[str, dict[int, float]]], x: str, y: str
                   ) -> dict[str, Reading]:
    """X vs Y on every dataset where both have runs, paired by seed id: one Holm family
    (``paired.py``). A claim on a tier reads its datasets of this family, at least as strictly
    as a family of its own."""
    xs, ys = seeds.get(x, {}), seeds.get(y, {})
    return read_claim({d: paired_differences(xs[d], ys[d]) for d in sorted(xs) if ys.get(d)})


def _in_seed_order(scores: dict[str, dict[int, float]]) -> dict[str, list[float]]:
    return {d: [v for _, v in sorted(s.items())] for d, s in scores.items()}


def reading_summary(readings: list[Reading]) -> str:
    """How many datasets read each way: "X higher on 2 of 9, not separated on 7"."""
    counts = [(v, sum(r.verdict == v for r in readings)) for v in VERDICTS]
    parts = [f"{v} on {c}" for v, c in counts if c]
    return (parts[0] + f" of {len(readings)}" + "".join(", " + p for p in parts[1:])) \
        if parts else "—"


def improvement_rows(seeds: dict[str, dict[str, dict[int, float]]],
                     algos: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Per comparison (X, Y, tier), or per one whose X and Y are both of ``algos``: the datasets
    read (at least 3 pairs), the pairs per dataset, how the paired rule reads them
    (``reading_summary``), and, descriptive only, P(X > Y) over the datasets where both have the
    most seeds with its bootstrap CI (None without them)."""
    rows = []
    for x, y, tier in COMPARISONS:
        if algos is not None and not (x in algos and y in algos):
            continue
        name = f"{x} vs {y}" + (f" ({tier})" if tier else "")
        mine = [r for d, r in claim_readings(seeds, x, y).items()
                if tier is None or _tier(d) == tier]
        read = sorted(r.pairs for r in mine if r.verdict != TOO_FEW)
        row: dict[str, Any] = {"name": name, "datasets": len(read),
                               "pairs": "–".join(str(n) for n in dict.fromkeys(read[:1] +
                                                                               read[-1:])),
                               "readings": reading_summary(mine), "p": None}
        last = {a: _in_seed_order(seeds.get(a, {})) for a in (x, y)}
        common = full_seed_datasets({d: min(len(v), len(last[y].get(d, [])))
                                     for d, v in last[x].items()
                                     if tier is None or _tier(d) == tier})
        if common:
            mx, my = score_matrix(last[x], common), score_matrix(last[y], common)
            n = min(mx.shape[0], my.shape[0])
            row["p"], row["lo"], row["hi"] = probability_of_improvement(mx[:n], my[:n])
        rows.append(row)
    return rows


def claim_pairs() -> list[tuple[str, str]]:
    """The distinct (X, Y) of ``COMPARISONS``, in order."""
    return list(dict.fromkeys((x, y) for x, y, _ in COMPARISONS))


def dataset_claim_rows(seeds: dict[str, dict[str, dict[int, float]]], datasets: list[str]
                       ) -> tuple[list[tuple[str, str]], list[tuple[str, list[Reading | None]]]]:
    """The ``claim_pairs()`` with runs of both on some dataset, and per dataset with any: each
    pair's ``Reading`` there (None where X or Y has no runs on it)."""
    family = {pair: claim_readings(seeds, *pair) for pair in claim_pairs()}
    pairs = [pair for pair in claim_pairs() if family[pair]]
    rows = [(d, [family[pair].get(d) for pair in pairs]) for d in datasets]
    return pairs, [(d, cells) for d, cells in rows if any(c is not None for c in cells)]


def p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def claim_text(r: Reading | None) -> str:
    """A ``dataset_claim_rows`` cell as text: d̄ [95% t-interval], the Holm-adjusted p and the
    reading, then the descriptive sign-flip p and the pairs; — without runs of X or Y."""
    if r is None:
        return "—"
    if r.verdict == TOO_FEW:
        return f"too few seeds ({r.pairs} pairs)"
    return (f"{r.mean:+.1f} [{r.lo:+.1f}, {r.hi:+.1f}], p_Holm {p_text(r.p_holm)}, "
            f"{r.verdict}; sign-flip p {p_text(r.sign_flip)}, {r.pairs} pairs")
