"""What a leaderboard section's runs cost: gradient steps trained against each algorithm's
published budget, and run wall time per algorithm and per dataset (a process that trained several
seeds stacked counts once, shared among them). ``sections.py`` builds the sections these rows are
computed for."""

from __future__ import annotations

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.results import Run


def percent(x: float) -> str:
    """A fraction as a percentage: one decimal from 1% up, two significant digits below, so a
    budget of 550 of 1,000,000 steps reads 0.055% rather than 0.1%."""
    return f"{x:.1%}" if x >= 0.01 else f"{100 * x:.2g}%"


def budget_rows(runs: list[Run]) -> list[tuple[str, str, str, str]]:
    """Per algorithm with runs: (algo, gradient steps trained, its published budget, fraction).
    The published budget is the algorithm's default config (the recipe: the `paper` schedule);
    two-stage algorithms add their stage 1 (``ref_steps``), read from each run's config.yaml, and
    a BC-family gradient on k sampled steps per episode says so (a cheaper step). An algorithm
    outside the registry (results contributed without its code) has no published budget here:
    its steps are shown, its budget and fraction as unknown (``UNKNOWN``)."""
    from curatedrl.run.records.rundir import read_yaml

    rows = []
    for algo in algos_with_runs(runs):
        mine = [r for r in runs if r.algo == algo]
        cls = ALGOS.get(algo)
        default = cls.config_cls() if cls is not None else None
        pub = (default.steps, getattr(default, "ref_steps", 0)) if default else None
        trained = set()
        for r in mine:
            cfg = read_yaml(r.path / "config.yaml") if r.path is not None and \
                (r.path / "config.yaml").exists() else {}
            trained.add((int(r.final["steps"]), int(cfg.get("ref_steps", 0) or 0),
                         int(cfg.get("steps_per_episode", 0) or 0)))
        shown = ", ".join(f"{a:,}" + (f" + {b:,} stage 1" if b else "")
                          for a, b, _ in sorted(trained))
        if pub is None:
            rows.append((algo, shown, "—", UNKNOWN))
            continue
        frac = ", ".join(percent((a + b) / (pub[0] + pub[1])) +
                         (f", on {k} sampled steps per episode" if k else "")
                         for a, b, k in sorted(trained))
        rows.append((algo, shown, f"{pub[0]:,}" + (f" + {pub[1]:,} stage 1" if pub[1] else ""),
                     frac))
    return rows


UNKNOWN = "published budget unknown: not in the registry"


def algos_with_runs(runs: list[Run]) -> list[str]:
    """The registry's algorithms with runs, in its order, then the others, sorted."""
    have = {r.algo for r in runs}
    return [a for a in ALGOS if a in have] + sorted(have - set(ALGOS))


def budget_lines(runs: list[Run]) -> list[str]:
    rows = budget_rows(runs)
    return ["- gradient steps trained (fraction of the published budget, the algorithm's default "
            "config): " + "; ".join(f"{a} {t} of {p} ({f})" for a, t, p, f in rows)] if rows else []


def run_seconds(run: Run) -> float:
    """A run's share of its process's wall time: a process that trained several seeds
    (``stacked_seeds`` in its final.json) records its whole wall time in each of them, so each
    of its runs counts for ``wall_time_s / len(stacked_seeds)``."""
    return float(run.final.get("wall_time_s", 0.0)) / \
        max(1, len(run.final.get("stacked_seeds") or [0]))


def compute_rows(runs: list[Run]) -> list[tuple[str, int, float]]:
    """Per algorithm with runs: (algo, runs, hours of run wall time summed by ``run_seconds``)."""
    rows = []
    for algo in algos_with_runs(runs):
        mine = [r for r in runs if r.algo == algo]
        rows.append((algo, len(mine), sum(run_seconds(r) for r in mine) / 3600.0))
    return rows


def dataset_compute_rows(runs: list[Run], datasets: list[str]
                         ) -> list[tuple[str, int, float, dict[str, float]]]:
    """Per dataset with runs: (dataset, runs, hours of run wall time, {algo: mean minutes per
    run} over the algorithms with runs there), from ``run_seconds``."""
    rows = []
    for d in datasets:
        mine = [r for r in runs if r.dataset == d]
        if not mine:
            continue
        minutes = {}
        for algo in algos_with_runs(mine):
            theirs = [run_seconds(r) for r in mine if r.algo == algo]
            if theirs:
                minutes[algo] = sum(theirs) / len(theirs) / 60.0
        rows.append((d, len(mine), sum(run_seconds(r) for r in mine) / 3600.0, minutes))
    return rows


def compute_algos(rows: list[tuple[str, int, float, dict[str, float]]]) -> list[str]:
    """The algorithms of ``dataset_compute_rows`` with runs on any dataset, in registry order,
    then the others, sorted."""
    have = {a for *_, minutes in rows for a in minutes}
    return [a for a in ALGOS if a in have] + sorted(have - set(ALGOS))


def compute_lines(runs: list[Run]) -> list[str]:
    rows = compute_rows(runs)
    if not rows:
        return []
    total = sum(h for _, _, h in rows)
    return [f"- compute: {total:.1f} h of run wall time in all, as recorded by each run (one "
            f"process per run, or per stacked group of seeds; the hardware line says how many "
            f"threads): " + "; ".join(f"{a} {h:.2f} h over {n} runs" for a, n, h in rows)]
