"""Run-directory files, written atomically (``curatedrl.fileio``: a temporary file in the same
folder, flushed to disk, then renamed over the target; a full disk raises one line naming the path
and leaves the target as it was). ``atomic_write``, ``atomic_write_text``, ``disk_full`` and
``disk_full_message`` are re-exported here for the run machinery.
``read_json_or_warn`` is the reader for tools that scan many results files (the leaderboard): a
corrupt or partial file is skipped with a warning naming it."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any, Iterable, TextIO

import yaml

from curatedrl.run.safety.schema import read_yaml_file
from curatedrl.fileio import (  # noqa: F401 (re-exported)
    atomic_write,
    atomic_write_text,
    disk_full,
    disk_full_message,
    tmp_path_for,
)


class ResultsFileWarning(UserWarning):
    """A results file was skipped because it cannot be read."""


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def read_json_object(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the JSON object in ``path``, None) or (None, the problem): missing, unreadable, not
    UTF-8, not JSON (e.g. cut short) or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if isinstance(data, dict):
        return data, None
    return None, f"holds a JSON {type(data).__name__}, not an object"


def read_json_or_warn(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None with a ``ResultsFileWarning`` naming the file when it
    is missing, unreadable, not UTF-8, not JSON (e.g. cut short) or not an object."""
    data, problem = read_json_object(path)
    if data is None:
        warnings.warn(f"skipping results file {str(path)!r}: {problem}", ResultsFileWarning,
                      stacklevel=2)
    return data


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=True))


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, size- and alias-bounded (``schema.read_yaml_file``)."""
    return read_yaml_file(path)


def write_csv(path: Path, rows: Iterable[dict[str, Any]],
              columns: Iterable[str] | None = None) -> None:
    """All rows at once (columns: ``columns``, else the union of keys, first-seen order).
    Floats are written as ``repr`` (they read back exactly); None as an empty field."""
    rows = list(rows)
    columns = list(columns or [])
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
