"""Reading a small per-run CSV file of results/ once, for its validating readers
(``episodes.py``, ``train_metrics.py``): the size cap, UTF-8, the csv module's own errors."""

from __future__ import annotations

import csv
from pathlib import Path


def read_csv_file(path: Path, max_bytes: int, too_big: str
                  ) -> tuple[list[str] | None, list[list[str]], str | None]:
    """(the header or None when empty, the other rows, None) or (None, [], the problem);
    ``too_big`` ends the "larger than ..." problem of a file over ``max_bytes``."""
    try:
        if Path(path).stat().st_size > max_bytes:
            return None, [], f"larger than {too_big}"
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            return header, list(reader), None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return None, [], f"{type(exc).__name__}: {exc}"
