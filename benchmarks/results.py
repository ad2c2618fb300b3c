"""The committed results tree: ``results/<schedule>/<algo>/<dataset>/seed<N>/final.json`` (+
``eval.csv``, ``config.yaml``), read defensively: a corrupt or partial file is skipped with a
warning that names it, never a crash."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curatedrl.benchmarks.rundir import read_csv, read_json_or_warn

REQUIRED = ("algo", "dataset", "seed", "status", "normalized_score_last", "normalized_score_best")


@dataclass
class Run:
    schedule: str
    final: dict[str, Any]
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, normalised mean)

    @property
    def algo(self) -> str:
        return self.final["algo"]

    @property
    def dataset(self) -> str:
        return self.final["dataset"]


def _read_final(path: Path) -> dict[str, Any] | None:
    final = read_json_or_warn(path)
    if final is None:
        return None
    missing = [k for k in REQUIRED if k not in final]
    if missing:
        warnings.warn(f"skipping {path}: missing keys {missing}", stacklevel=3)
        return None
    return final


def _read_curve(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    try:
        return [(int(r["step"]), float(r["normalized_mean"])) for r in read_csv(path)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        warnings.warn(f"ignoring the learning curve {path}: {exc}", stacklevel=3)
        return []


def load_runs(root: Path = Path("results")) -> list[Run]:
    """Every finished run under ``root``, sorted by (schedule, algo, dataset, seed)."""
    runs = []
    for path in sorted(Path(root).glob("*/*/*/seed*/final.json")):
        final = _read_final(path)
        if final is None:
            continue
        if final["status"] != "finished":
            warnings.warn(f"skipping {path}: status {final['status']!r}", stacklevel=2)
            continue
        runs.append(Run(path.parts[-5], final, _read_curve(path.parent / "eval.csv")))
    runs.sort(key=lambda r: (r.schedule, r.algo, r.dataset, r.final["seed"]))
    return runs
