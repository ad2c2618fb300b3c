"""Hyperparameter-variant runs on the leaderboard (a schedule's ``variants`` grid,
``benchmarks/suites/cell_config.py``): never averaged with the default config's runs (the
sections leave them out, ``sections.build_sections``), listed per (schedule, data source) in a
section of their own, one row per algorithm x dataset x variant (mean ± std over its seeds).
The same admission rules as the sections' apply (``admission.admit``: a variant the schedule
does not declare, other dataset bytes or a modified tree are listed apart, never in a row)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from curatedrl.benchmarks.leaderboard.admission import admit, shown_path
from curatedrl.benchmarks.leaderboard.escaping import md_code, md_text
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.benchmarks.leaderboard.stats import mean_std


def is_variant(run: Run) -> bool:
    return getattr(run, "variant", None) is not None


def _score(values: list[float]) -> str:
    m, s = mean_std(values)
    return f"{m:.1f}" if s is None else f"{m:.1f} ± {s:.1f}"


def variant_lines(runs: list[Run], results: Path, expected_hash=None,
                  earlier_hashes=None) -> list[str]:
    """The markdown of every (schedule, data source) that has variant runs ([] without any)."""
    from curatedrl.benchmarks.leaderboard.reproduce import section_commands
    from curatedrl.benchmarks.leaderboard.sections import data_flags, suite_datasets

    by_section: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for r in runs:
        if is_variant(r):
            by_section[(r.schedule, r.source)].append(r)
    lines: list[str] = []
    for (schedule, source), group in sorted(by_section.items()):
        verdict = admit(group, results, expected_hash, earlier_hashes)
        rows: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
        for r in verdict.admitted:
            rows[(r.algo, r.dataset, r.variant)].append(r)
        lines += [f"## Variants of schedule {md_code(schedule)}, data {md_code(source)}", "",
                  "Hyperparameter variants of the schedule's `variants` grid: one row per "
                  "algorithm x dataset x variant, mean ± std of the normalised score over its "
                  "seeds; never averaged with the default config's runs or with each other.",
                  "", "| algo | dataset | variant | seeds | last | best |",
                  "|---|---|---|---|---|---|"]
        for (algo, dataset, variant), rs in sorted(rows.items()):
            last = [float(r.final["normalized_score_last"]) for r in rs]
            best = [float(r.final["normalized_score_best"]) for r in rs]
            lines.append(f"| {md_text(algo)} | {md_text(dataset)} | {md_code(variant)} | "
                         f"{len(rs)} | {_score(last)} | {_score(best)} |")
        if verdict.excluded:
            lines += ["", "Kept out of these rows:", ""]
            lines += [f"- {md_code(shown_path(results, r))}: {md_text(why)}"
                      for r, why in verdict.excluded]
        commands = section_commands(schedule, verdict.admitted, suite_datasets(source),
                                    data_flags(source, make=True))
        if commands:
            lines += ["", "Reproduce (every variant of the grid): " +
                      ", ".join(md_code(c) for c in commands) + ", then `make leaderboard`."]
        lines.append("")
    return lines
