"""Benchmark configs: suites, schedules and per-(algo, dataset) overrides, resolved for one cell.

A cell's overrides, later ones winning:
  1. the schedule's ``common`` block (fields every algorithm has: eval_episodes, ...),
  2. the schedule's ``per_algo[algo]`` block (how long to train),
  3. ``configs/<algo>/<env>-<tier>.yaml`` (the recipe's per-dataset hyperparameters),
  4. the user's ``--set key=value`` options.
Everything else is the algorithm's config default. Files are read with YAML's safe loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    unknown = [k for k in spec if k not in ("common", "per_algo") and not k.startswith("_")]
    if unknown:
        raise CuratedRLError(f"{path}: unknown top-level keys {unknown}; a schedule has "
                             f"`common` and `per_algo` (keys starting with _ hold YAML anchors)")
    return {"name": path.stem, "common": spec.get("common") or {},
            "per_algo": spec.get("per_algo") or {}}


def schedule_overrides(schedule: dict[str, Any], algo: str) -> dict[str, Any]:
    return {**schedule.get("common", {}), **(schedule.get("per_algo", {}).get(algo) or {})}


def dataset_overrides(algo: str, dataset: str) -> dict[str, Any]:
    path = CONFIG_DIR / algo / f"{dataset_slug(dataset)}.yaml"
    return read_yaml(path) if path.exists() else {}


# A cell's own fields: its seed comes from --seeds, its dataset (and so its env) from the suite
# and --data; a schedule or --set naming them would be overridden, or refused by the cell.
CELL_FIELDS = ("seed", "dataset", "env")


def cell_overrides(algo: str, dataset: str, schedule: dict[str, Any],
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {**schedule_overrides(schedule, algo), **dataset_overrides(algo, dataset),
           **(extra or {})}
    fixed = [k for k in CELL_FIELDS if k in out]
    if fixed:
        where = "--set" if fixed[0] in (extra or {}) else f"schedule {schedule.get('name')!r}"
        raise CuratedRLError(f"{where} sets {fixed[0]!r}, which is each cell's own (seeds: "
                             f"--seeds; datasets: --suite, --dataset and --data); drop it")
    return out
