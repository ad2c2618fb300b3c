"""Benchmark configs: suites, schedules and per-(algo, dataset) overrides, resolved for one cell.

A cell's overrides, later ones winning:
  1. the schedule's ``common`` block (fields every algorithm has: eval_episodes, ...),
  2. the schedule's ``per_algo[algo]`` block (how long to train),
  3. ``configs/<algo>/<env>-<tier>.yaml`` (the recipe's per-dataset hyperparameters),
  4. the cell's variant: one point of the schedule's ``variants[algo]`` grid (below),
  5. the user's ``--set key=value`` options.
Everything else is the algorithm's config default. Files are read with YAML's safe loader.

A schedule's optional ``variants`` block makes a grid of hyperparameter variants per algorithm:
``variants: {iw_bc: {lr: [1.0e-5, 4.0e-5], temperature: [3, 10]}}`` gives iw_bc the four cells
of ``lr x temperature`` (instead of one) on every dataset and seed. Each is a cell of its own,
named by ``algos.variants.variant_name`` (``lr=4e-05,temperature=10``): its run directory and
results folder ``<algo>/<dataset>/<variant>/seed<N>``, its ``variant`` field in config.yaml and
final.json. Algorithms the block does not name keep their one default cell. The optional
``estimate_from`` names a schedule whose recorded wall times estimate this one's cells before
it has results of its own (``sweep --dry-run``), scaled by the ratio of gradient steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import itertools

from curatedrl.algos.variants import variant_name
from curatedrl.datasets.ids import dataset_slug
from curatedrl.run.records.rundir import read_yaml
from curatedrl.errors import CuratedRLError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
SCHEDULE_DIR = CONFIG_DIR / "schedules"


def load_suites() -> dict[str, dict[str, list[str]]]:
    return read_yaml(CONFIG_DIR / "suites.yaml")["suites"]


def suite(name: str) -> dict[str, list[str]]:
    suites = load_suites()
    if name not in suites:
        raise CuratedRLError(f"unknown suite {name!r}; choose one of {', '.join(suites)} "
                             f"(defined in {CONFIG_DIR / 'suites.yaml'})")
    return suites[name]


def schedule_names() -> list[str]:
    return sorted(p.stem for p in SCHEDULE_DIR.glob("*.yaml"))


def load_schedule(name_or_path: str) -> dict[str, Any]:
    """A schedule by name (``cpu``, ``paper``) or path: ``{"name", "common", "per_algo"}``."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCHEDULE_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise CuratedRLError(f"unknown schedule {name_or_path!r}; choose one of "
                             f"{', '.join(schedule_names())} or give a YAML file")
    spec = read_yaml(path)
    unknown = [k for k in spec if k not in SCHEDULE_KEYS and not k.startswith("_")]
    if unknown:
        raise CuratedRLError(f"{path}: unknown top-level keys {unknown}; a schedule has "
                             f"`common`, `per_algo`, optionally `variants` and `estimate_from` "
                             f"(keys starting with _ hold YAML anchors)")
    out = {"name": path.stem, "common": spec.get("common") or {},
           "per_algo": spec.get("per_algo") or {}}
    if spec.get("variants"):
        out["variants"] = spec["variants"]
        for algo in out["variants"]:
            try:
                variant_grid(out, algo)
            except CuratedRLError as exc:
                raise CuratedRLError(f"{path}: {exc}") from None
    if spec.get("estimate_from") is not None:
        if not isinstance(spec["estimate_from"], str):
            raise CuratedRLError(f"{path}: estimate_from must name a schedule, got "
                                 f"{spec['estimate_from']!r}")
        out["estimate_from"] = spec["estimate_from"]
    return out


SCHEDULE_KEYS = ("common", "per_algo", "variants", "estimate_from")


def variant_grid(schedule: dict[str, Any], algo: str) -> dict[str, dict[str, Any]]:
    """{variant name: its knob values} of ``algo``'s grid in ``schedule`` (every combination of
    the listed values, knobs in name order), or {} when the schedule declares none for it."""
    grid = (schedule.get("variants") or {}).get(algo)
    if grid is None:
        return {}
    where = f"variants of {algo}"
    if not isinstance(grid, dict) or not grid:
        raise CuratedRLError(f"{where}: give a mapping knob -> list of values, got {grid!r}")
    knobs = sorted(grid)
    for k in knobs:
        if k in CELL_FIELDS:
            raise CuratedRLError(f"{where}: {k!r} is each cell's own, not a knob")
        if not isinstance(grid[k], list) or not grid[k]:
            raise CuratedRLError(f"{where}: {k} needs a non-empty list of values, got "
                                 f"{grid[k]!r}")
    out: dict[str, dict[str, Any]] = {}
    for combo in itertools.product(*(grid[k] for k in knobs)):
        values = dict(zip(knobs, combo))
        name = variant_name(values)
        if name in out:
            raise CuratedRLError(f"{where}: two points of the grid share the name {name!r}")
        out[name] = values
    return out


def schedule_overrides(schedule: dict[str, Any], algo: str) -> dict[str, Any]:
    return {**schedule.get("common", {}), **(schedule.get("per_algo", {}).get(algo) or {})}


def dataset_overrides(algo: str, dataset: str) -> dict[str, Any]:
    path = CONFIG_DIR / algo / f"{dataset_slug(dataset)}.yaml"
    return read_yaml(path) if path.exists() else {}


# A cell's own fields: its seed comes from --seeds, its dataset (and so its env) from the suite
# and --data; a schedule or --set naming them would be overridden, or refused by the cell.
CELL_FIELDS = ("seed", "dataset", "env")


def cell_overrides(algo: str, dataset: str, schedule: dict[str, Any],
                   extra: dict[str, Any] | None = None, variant: str | None = None
                   ) -> dict[str, Any]:
    knobs = {}
    if variant is not None:
        grid = variant_grid(schedule, algo)
        if variant not in grid:
            raise CuratedRLError(f"schedule {schedule.get('name')!r} declares no variant "
                                 f"{variant!r} of {algo}"
                                 + (f" (its variants: {', '.join(grid)})" if grid else ""))
        knobs = grid[variant]
    out = {**schedule_overrides(schedule, algo), **dataset_overrides(algo, dataset),
           **knobs, **(extra or {})}
    fixed = [k for k in CELL_FIELDS if k in out]
    if fixed:
        where = "--set" if fixed[0] in (extra or {}) else f"schedule {schedule.get('name')!r}"
        raise CuratedRLError(f"{where} sets {fixed[0]!r}, which is each cell's own (seeds: "
                             f"--seeds; datasets: --suite, --dataset and --data); drop it")
    return out
