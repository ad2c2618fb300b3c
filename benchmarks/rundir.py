"""Run-directory files, written atomically: a temporary file in the same folder (its name unique to
the writing process), flushed to disk, then renamed over the target. A reader (or a run killed
mid-write) sees the old file or the new one, never half of one. A write that fails (a full disk)
removes its temporary file and raises one line naming the path; the target is left as it was.
``read_json_or_warn`` is the reader for tools that scan many results files (the leaderboard): a
corrupt or partial file is skipped with a warning naming it."""

from __future__ import annotations

import csv
import errno
import json
import os
import secrets
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import yaml

from curatedrl.benchmarks.schema import read_yaml_file
from curatedrl.errors import CuratedRLError


class ResultsFileWarning(UserWarning):
    """A results file was skipped because it cannot be read."""


def tmp_path_for(path: Path) -> Path:
    """A temporary sibling for writing ``path``, unique to this process and call."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def atomic_write(path: Path, write: Callable[[TextIO], None], binary: bool = False) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, fsync it, rename it to ``path``.

    On failure the temporary file is removed; a full disk (or quota) raises ``CuratedRLError``
    naming the path (torch reports a full disk as a RuntimeError, so free space is checked)."""
    path = Path(path)
    tmp = tmp_path_for(path)
    try:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"newline": ""})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, (OSError, RuntimeError)) and disk_full(exc, path.parent):
            raise CuratedRLError(disk_full_message(path)) from None
        raise


def disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc`` (or an error it arose from: torch wraps ENOSPC in a RuntimeError) means
    a full disk, or the disk holding ``folder`` has under 1 MiB left."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        seen = seen.__cause__ or seen.__context__
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


def disk_full_message(path: Path) -> str:
    return (f"no space left on the disk holding {str(Path(path).parent)!r} while writing "
            f"{Path(path).name}; nothing was half-written and no temporary file is left (the "
            f"previous {Path(path).name}, and so the last checkpoint, is intact): free space "
            f"and run the same command again")


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


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
