"""Score against compute: every algorithm and schedule of the curatedrl data on one set of axes
per dataset, learning curves converted to core-hours per run (``cost.py`` says how: threads,
stacked seeds, stage 1), one figure per dataset group (env), and a table of what each (algorithm,
schedule, machine) cost per run and what its published budget would cost at the measured cost
per step.

A line is one (algorithm, schedule, machine): the mean normalised score over its runs at each
evaluation step they share, against the mean core-hours at that step, with a ±1 std band over
the runs. Lines never mix machines: an (algorithm, schedule) measured on two machines is two
lines, labelled by machine. The published budget (the algorithm's default config: ``steps``
plus ``ref_steps`` of stage 1) is extrapolated linearly in steps from each run's measured cost
per step (stage 1 and stage 2 each at their own rate where the stage-1 time is known),
evaluations included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.leaderboard.cost import RunCost, hardware_key, run_costs
from curatedrl.benchmarks.leaderboard.escaping import html_text, md_text
from curatedrl.benchmarks.leaderboard.results import Run
from curatedrl.benchmarks.leaderboard.site_figures import figures_html
from curatedrl.benchmarks.leaderboard.view_tables import html_table, md_table

UNIT = "core-hours per run"


def published_steps(algo: str) -> tuple[int, int] | None:
    """(steps, stage-1 steps) of the algorithm's default config, the published recipe (None
    for an algorithm the registry does not hold)."""
    cls = ALGOS.get(algo)
    if cls is None:
        return None
    cfg = cls.config_cls()
    return int(cfg.steps), int(getattr(cfg, "ref_steps", 0) or 0)


def trained_steps(run: Run) -> tuple[int, int]:
    """(steps, stage-1 steps) the run trained (stage 1 from its config.yaml)."""
    return int(run.final["steps"]), int((run.config or {}).get("ref_steps") or 0)


def published_hours(run: Run, cost: RunCost) -> float | None:
    """The run's cost extrapolated to its algorithm's published budget (None when unknown)."""
    pub = published_steps(run.algo)
    if pub is None:
        return None
    steps, ref = trained_steps(run)
    if ref and pub[1] and cost.stage_one_hours > 0:
        return cost.stage_one_hours / ref * pub[1] + \
            max(0.0, cost.hours - cost.stage_one_hours) / max(1, steps) * pub[0]
    return cost.hours / max(1, steps + ref) * (pub[0] + pub[1])


@dataclass
class Line:
    algo: str
    schedule: str
    hardware: str
    runs: int
    hours: np.ndarray  # mean core-hours at each shared evaluation step
    mean: np.ndarray  # mean normalised score there
    std: np.ndarray | None  # over runs (None for one run)
    published: float | None  # mean core-hours at the published budget


def _line(algo: str, schedule: str, hw: str, runs: list[Run], costs: dict[int, RunCost]
          ) -> Line | None:
    curves = [{s: (h, y) for s, h, y in costs[id(r)].curve} for r in runs]
    curves = [c for c in curves if c]
    if not curves:
        return None
    steps = sorted(set.intersection(*(set(c) for c in curves)))
    steps = [s for s in steps if all(c[s][0] > 0 for c in curves)]
    if not steps:
        return None
    hours = np.array([[c[s][0] for s in steps] for c in curves])
    scores = np.array([[c[s][1] for s in steps] for c in curves])
    pubs = [published_hours(r, costs[id(r)]) for r in runs]
    pub = float(np.mean(pubs)) if pubs and all(p is not None for p in pubs) else None
    return Line(algo, schedule, hw, len(curves), hours.mean(axis=0), scores.mean(axis=0),
                scores.std(axis=0, ddof=1) if len(curves) > 1 else None, pub)


@dataclass
class ComputeView:
    schedules: list[str]  # the curatedrl sections' schedules, in page order
    runs: list[tuple[str, Run]]  # (schedule, run) of every admitted curatedrl run
    costs: dict[int, RunCost]
    datasets: list[str]
    plots: list[tuple[str, Path]]

    def lines(self, dataset: str) -> list[Line]:
        """The dataset's lines: by schedule (page order), algorithm (registry), machine."""
        keys = sorted({(s, r.algo, hardware_key(r)) for s, r in self.runs if r.dataset == dataset},
                      key=lambda k: (self.schedules.index(k[0]), _algo_rank(k[1]), k[2]))
        out = []
        for schedule, algo, hw in keys:
            mine = [r for s, r in self.runs if (s, r.algo, hardware_key(r), r.dataset) ==
                    (schedule, algo, hw, dataset)]
            line = _line(algo, schedule, hw, mine, self.costs)
            if line is not None:
                out.append(line)
        return out

    def table_rows(self) -> list[dict]:
        """Per (schedule, algorithm, machine) over all datasets: runs, mean core-hours per run,
        the published budget and its extrapolated core-hours, runs whose stage 1 was charged
        from its trainer and runs whose trainer is not in results/."""
        groups: dict[tuple, list[Run]] = {}
        for s, r in self.runs:
            groups.setdefault((s, r.algo, hardware_key(r)), []).append(r)
        rows = []
        for key in sorted(groups, key=lambda k: (self.schedules.index(k[0]), _algo_rank(k[1]),
                                                 k[2])):
            runs = groups[key]
            costs = [self.costs[id(r)] for r in runs]
            pubs = [published_hours(r, c) for r, c in zip(runs, costs)]
            pub_steps = published_steps(key[1])
            rows.append({"schedule": key[0], "algo": key[1], "hardware": key[2],
                         "runs": len(runs), "hours": float(np.mean([c.hours for c in costs])),
                         "published_steps": pub_steps,
                         "published": float(np.mean(pubs)) if all(p is not None for p in pubs)
                         else None,
                         "charged": sum(c.charged == "charged" for c in costs),
                         "not_found": sum(c.charged == "not found" for c in costs)})
        return rows

    def hardware(self) -> list[str]:
        return sorted({hardware_key(r) for _, r in self.runs})


def _algo_rank(algo: str) -> tuple[int, str]:
    names = list(ALGOS)
    return (names.index(algo) if algo in names else len(names), algo)


def build_compute_view(sections, every: list[Run], plot_dir: Path, draw: bool = True
                       ) -> ComputeView:
    """The view over the sections of the curatedrl data (their admitted runs); ``every``: all
    runs read, where a cached π_ref's trainer is looked for."""
    from curatedrl.benchmarks.leaderboard.compute_plots import write_compute_plots
    from curatedrl.benchmarks.leaderboard.sections import SOURCE

    mine = [s for s in sections if s.source == SOURCE]
    runs = [(s.schedule, r) for s in mine for r in s.runs]
    costs = run_costs([r for _, r in runs], every)
    datasets = list(dict.fromkeys(d for s in mine for d in s.datasets))
    view = ComputeView([s.schedule for s in mine], runs, costs, datasets, [])
    view.plots = write_compute_plots(view, plot_dir, draw)
    return view


ABOUT = ("Normalised score against compute for every algorithm and schedule of the curatedrl "
         "data on one set of axes per dataset: each evaluation of eval.csv placed at its "
         "recorded time (`time_s`). Unit: core-hours per run = wall-clock hours × the torch "
         "threads of the process (evaluation environments run in the same process and are "
         "included); a process that trained several seeds stacked is split evenly among them. "
         "A run that found its stage 1 (π_ref) in the cache is charged the stage-1 time of the "
         "run that trained it (same reference key): that run's time before its first gradient "
         "step, extrapolated from its first two evaluations, less the charged run's own. A bc "
         "run of a paper schedule is stage 1 itself: its stage-1 time is spread over its steps. "
         "Lines: mean over runs at each shared evaluation step, band ±1 std; the x axis is "
         "logarithmic. ☆ marks the published budget (the algorithm's default config) "
         "extrapolated from the measured cost per step; an arrow at the axis edge when it is "
         "off the plot. Machines are never mixed in a line; runs that shared the machine with "
         "other jobs took longer than on idle cores.")


def _budget(pub: tuple[int, int] | None) -> str:
    if pub is None:
        return "—"
    return f"{pub[0]:,}" + (f" + {pub[1]:,} stage 1" if pub[1] else "")


def _note(view: ComputeView) -> str:
    rows = view.table_rows()
    charged = sum(r["charged"] for r in rows)
    missing = sum(r["not_found"] for r in rows)
    unpaid = (f"; {missing} reused one whose trainer is not in results/ (or has no timed "
              f"evaluations) and are charged nothing for it") if missing else ""
    return (f"{len(view.runs)} runs; {charged} reused a cached stage 1 and are charged its "
            f"trainer's stage-1 time{unpaid}"
            ". Machines: " + "; ".join(view.hardware()) + ".")


def compute_markdown(view: ComputeView) -> list[str]:
    if not view.runs:
        return []
    rows = [[md_text(r["schedule"]), md_text(r["algo"]), md_text(r["hardware"]), str(r["runs"]),
             f"{r['hours']:.3f}", _budget(r["published_steps"]),
             "—" if r["published"] is None else f"{r['published']:.3g}"]
            for r in view.table_rows()]
    return ["## Score against compute", "", ABOUT, "", _note(view), "",
            *md_table(["schedule", "algorithm", "machine", "runs", "core-hours per run",
                       "published steps", "core-hours at the published budget (extrapolated)"],
                      rows), "",
            *[f"![{title}]({path.as_posix()})" for title, path in view.plots], ""]


def compute_html(view: ComputeView) -> list[str]:
    if not view.runs:
        return []
    rows = [[(r["schedule"], html_text(r["schedule"])), (r["algo"], html_text(r["algo"])),
             (r["hardware"], html_text(r["hardware"])), (str(r["runs"]), str(r["runs"])),
             (f"{r['hours']:.6f}", f"{r['hours']:.3f}"),
             (str(sum(r["published_steps"] or (0,))), _budget(r["published_steps"])),
             ("" if r["published"] is None else f"{r['published']:.6f}",
              "—" if r["published"] is None else f"{r['published']:.3g}")]
            for r in view.table_rows()]
    about = html_text(ABOUT).replace("`time_s`", "<code>time_s</code>")
    return ['<section id="compute">', "<h2>Score against compute</h2>", f"<p>{about}</p>",
            f"<p>{html_text(_note(view))}</p>",
            *html_table("compute-cost", [("schedule", "text"), ("algorithm", "text"),
                                         ("machine", "text"), ("runs", "num"),
                                         ("core-hours per run", "num"),
                                         ("published steps", "num"),
                                         ("core-hours at the published budget (extrapolated)",
                                          "num")], rows),
            *figures_html(view.plots, "score against compute"), "</section>"]
