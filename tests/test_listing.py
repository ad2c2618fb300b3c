"""Runs listed apart from the tables read in a few lines however many there are: one line (one
table row on the page) per reason, with its number of runs, and every run's folder still named."""

from __future__ import annotations

import re
from pathlib import Path

from curatedrl.benchmarks.leaderboard.listing import group_listed, listed_html, listed_md
from curatedrl.benchmarks.leaderboard.results import Skipped

RESULTS = Path("/somewhere/results")
ALGOS = ["bc", "filtered_bc", "iw_bc", "td3_bc", "iql"]
DATASETS = ["hopper-medium", "walker2d-medium-replay", "halfcheetah-medium-expert"]


def _listed() -> list[tuple[Skipped, str]]:
    """300 runs on earlier data (one reason per dataset) and one dirty run."""
    out = []
    for d in DATASETS:
        for algo in ALGOS:
            for seed in range(20):
                path = RESULTS / "paper" / "curatedrl" / algo / d / f"seed{seed}"
                out.append((Skipped(path, ""), f"dataset hash {d[:4]} is an earlier one"))
    out.append((Skipped(RESULTS / "paper" / "curatedrl" / "bc" / "hopper-medium" / "seed20",
                        ""), "made from a modified tree (commit ends in -dirty)"))
    return out


def test_hundreds_of_runs_are_one_line_per_reason_each_run_named():
    listed = _listed()
    lines = listed_md(listed, RESULTS)
    assert len(lines) == len(DATASETS) + 1
    assert lines[-1] == ("- **1 run**: made from a modified tree (commit ends in -dirty) — "
                         "`results/paper/curatedrl/bc/hopper-medium/seed20`")
    first = lines[0]
    assert first.startswith("- **100 runs**: dataset hash ")
    seeds = ", ".join(f"seed{s}" for s in range(20))  # natural order: seed2 before seed10
    assert f"`results/paper/curatedrl/bc/{DATASETS[0]}/` {seeds}" in "\n".join(lines)
    named = sum(len(re.findall(r"\bseed\d+\b", ln)) for ln in lines)
    assert named == len(listed)
    groups = group_listed(listed, RESULTS)
    assert [n for _, n, _ in groups] == [100, 100, 100, 1]


def test_the_page_lists_them_in_a_closed_details_with_counts():
    html = "\n".join(listed_html(_listed(), RESULTS, "runs kept out"))
    assert html.startswith('<details class="listed"><summary>301 runs kept out, 4 reasons'
                           "</summary>")
    assert html.count("<tr><td>") == 4 and "<td>100</td>" in html
    assert html.count("seed") == 301
    hostile = [(Skipped(RESULTS / "s" / "curatedrl" / "bc" / "x" / "seed<b>1</b>", ""),
                "reason `<script>`")]
    text = "\n".join(listed_html(hostile, RESULTS, "run folders skipped"))
    assert "<script>" not in text and "<b>" not in text and "&lt;script&gt;" in text
    assert listed_html([], RESULTS, "runs kept out") == []
