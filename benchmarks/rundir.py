"""Run-directory files, written atomically: a temporary file in the same folder, flushed to disk,
then renamed over the target. A reader (or a run killed mid-write) sees the old file or the new
one, never half of one. ``read_json_or_warn`` is the reader for tools that scan many results
files (the leaderboard): a corrupt or partial file is skipped with a warning naming it."""

from __future__ import annotations

import csv
import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import yaml


class ResultsFileWarning(UserWarning):
    """A results file was skipped because it cannot be read."""


def tmp_path_for(path: Path) -> Path:
    """The temporary sibling a file is written to before the rename."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp")


def atomic_write(path: Path, write: Callable[[TextIO], None], binary: bool = False) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, fsync it, rename it to ``path``."""
    tmp = tmp_path_for(path)
    with open(tmp, "wb" if binary else "w", **({} if binary else {"newline": ""})) as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def read_json_or_warn(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None with a ``ResultsFileWarning`` naming the file when it
    is missing, unreadable, not UTF-8, not JSON (e.g. cut short) or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if isinstance(data, dict):
            return data
        problem = f"holds a JSON {type(data).__name__}, not an object"
    warnings.warn(f"skipping results file {str(path)!r}: {problem}", ResultsFileWarning,
                  stacklevel=2)
    return None


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=True))


def read_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text()) or {}


def write_csv(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """All rows at once (columns: the union of keys, first-seen order)."""
    rows = list(rows)
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]

    def write(f: TextIO) -> None:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)

    atomic_write(path, write)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
