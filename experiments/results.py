"""The committed results tree: ``results/<schedule>/<source>/<algo>/<dataset>/seed<N>/final.json``
(+ ``eval.csv``, ``config.yaml``; ``<source>`` is the data source: curatedrl, d4rl, minari, so
sources never mix), read defensively and checked against ``schema.py``: a corrupt,
partial or ill-typed file (a score that is a string, a bool, null or NaN) is skipped with one
warning that names it and the field, never a crash and never averaged."""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curatedrl.datasets.ids import canonical_name
from curatedrl.run.rundir import ResultsFileWarning, read_csv, read_json_or_warn
from curatedrl.run.schema import eval_rows_problem, final_problem


@dataclass
class Run:
    schedule: str
    final: dict[str, Any]
    curve: list[tuple[int, float]] = field(default_factory=list)  # (step, normalised mean)
    source: str = "curatedrl"  # the data source (results/<schedule>/<source>/...)
    path: Path | None = None  # the folder it was read from

    @property
    def algo(self) -> str:
        return self.final["algo"]

    @property
    def dataset(self) -> str:
        """The dataset as every machine names it (a D4RL file by D4RL's name, not its path)."""
        return canonical_name(self.final["dataset"])


def _read_final(path: Path) -> dict[str, Any] | None:
    final = read_json_or_warn(path)
    if final is None:
        return None
    problem = final_problem(final)
    if problem is not None:
        warnings.warn(f"skipping results file {str(path)!r}: {problem}", ResultsFileWarning,
                      stacklevel=3)
        return None
    return final


def _read_curve(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    try:
        rows = read_csv(path)
        problem = eval_rows_problem(rows)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        warnings.warn(f"ignoring the learning curve {str(path)!r}: {problem}",
                      ResultsFileWarning, stacklevel=3)
        return []
    return [(int(r["step"]), float(r["normalized_mean"])) for r in rows]


def load_runs(root: Path = Path("results")) -> list[Run]:
    """Every finished run under ``root``, sorted by (schedule, source, algo, dataset, seed)."""
    runs = []
    old = sorted(Path(root).glob("*/*/*/seed*/final.json"))
    if old:
        warnings.warn(f"ignoring {len(old)} runs in the layout without a data source, e.g. "
                      f"{str(old[0])!r}; move <schedule>/<algo>/ to <schedule>/curatedrl/<algo>/",
                      ResultsFileWarning, stacklevel=2)
    for path in sorted(Path(root).glob("*/*/*/*/seed*/final.json")):
        final = _read_final(path)
        if final is None:
            continue
        if final["status"] != "finished":
            warnings.warn(f"skipping {path}: status {final['status']!r}", stacklevel=2)
            continue
        runs.append(Run(path.parts[-6], final, _read_curve(path.parent / "eval.csv"),
                        source=path.parts[-5], path=path.parent))
    runs.sort(key=lambda r: (r.schedule, r.source, r.algo, r.dataset, r.final["seed"]))
    return runs
