"""The metrics and evaluation rows of an unfinished run, kept on disk for resuming.

Each checkpoint appends the rows logged since the previous one to ``rows.jsonl`` (one JSON object
per line, ``{"metrics": row}``, ``{"eval": row}`` or ``{"episodes": row}``: one evaluation
episode), fsyncs it, and records the file's size in
``resume.pt``. Resuming reads that many bytes back and cuts the file there, so rows appended by a
run killed after its journal write but before its checkpoint are dropped (they are computed again).
Appending costs only the new rows: saving every row in every checkpoint would grow with the run.
JSON keeps python floats exact (``repr``) and ints as ints, so the CSVs written at the end are the
same bytes as an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from curatedrl.run.records.rundir import disk_full, disk_full_message
from curatedrl.run.safety.schema import journal_line_problem
from curatedrl.errors import CuratedRLError

JOURNAL_FILE = "rows.jsonl"
TABLES = ("metrics", "eval", "episodes")


class RowJournal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.written = dict.fromkeys(TABLES, 0)

    def reset(self) -> None:
        """A fresh run: forget rows of an earlier attempt that never reached a checkpoint."""
        self.path.unlink(missing_ok=True)
        self.written = dict.fromkeys(TABLES, 0)

    def append(self, tables: dict[str, list[dict[str, Any]]]) -> int:
        """Append the rows not yet written, fsync, and return the journal's size in bytes."""
        lines = [json.dumps({name: row}) + "\n" for name in TABLES
                 for row in tables.get(name, [])[self.written[name]:]]
        try:
            with open(self.path, "a") as f:
                f.write("".join(lines))
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:  # rows past the size resume.pt records are cut when resuming
            if disk_full(exc, self.path.parent):
                raise CuratedRLError(disk_full_message(self.path)) from None
            raise
        self.written = {name: len(tables.get(name, [])) for name in TABLES}
        return self.path.stat().st_size

    def restore(self, size: int) -> dict[str, list[dict[str, Any]]]:
        """The rows of the first ``size`` bytes; the file is cut there."""
        try:
            with open(self.path, "rb") as f:
                data = f.read(size)
        except OSError as exc:
            data, problem = b"", str(exc)
        else:
            problem = f"it holds {len(data)} bytes, the checkpoint expects {size}"
        if len(data) != size:
            raise CuratedRLError(f"cannot resume from {self.path.parent}: {self.path.name} does "
                                 f"not match resume.pt ({problem}); delete the run directory to "
                                 f"start over")
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for i, line in enumerate(data.decode(errors="replace").splitlines(), start=1):
            try:
                obj = json.loads(line)
            except ValueError as exc:
                problem = f"not JSON ({exc})"
            else:
                problem = journal_line_problem(obj, TABLES)
            if problem is not None:
                raise CuratedRLError(f"cannot resume from {self.path.parent}: {self.path.name} "
                                     f"line {i} is damaged ({problem}); delete the run directory "
                                     f"to start over")
            (name, row), = obj.items()
            tables[name].append(row)
        os.truncate(self.path, size)
        self.written = {name: len(rows) for name, rows in tables.items()}
        return tables
