"""Progress of a long loop (training steps, stage 1, a sweep's cells), shown where it reads well:

- on a terminal (stderr is a TTY): a tqdm bar;
- elsewhere (a log file, a pipe, ``make demo > log``): one plain line each time another tenth is
  done or ``LINE_EVERY_S`` seconds have passed, and one at the end; no carriage returns;
- nothing when the caller turns it off or ``TQDM_DISABLE`` is set (a sweep sets it for its cells,
  whose train.log would otherwise fill with progress).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Iterable, Iterator, TextIO

from tqdm.auto import tqdm

LINE_EVERY_S = 30.0


def env_disabled() -> bool:
    """Whether ``TQDM_DISABLE`` asks for no progress output (any value but empty, 0, false)."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")


def progress(iterable: Iterable | None = None, *, total: int, desc: str, initial: int = 0,
             enabled: bool = True, leave: bool = True, stream: TextIO | None = None):
    """A progress display over ``iterable`` (or updated by hand with ``update(n)``) with
    ``set_postfix(**values)``; usable as a context manager."""
    stream = stream or sys.stderr
    if not enabled or env_disabled():
        return Lines(iterable, total, desc, initial, stream, silent=True)
    if _isatty(stream):
        return tqdm(iterable, total=total, desc=desc, initial=initial, leave=leave, file=stream)
    return Lines(iterable, total, desc, initial, stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Lines:
    """Plain progress lines: ``desc: done/total (pct%), elapsed, rate[, postfix]``."""

    def __init__(self, iterable: Iterable | None, total: int, desc: str, initial: int,
                 stream: TextIO, silent: bool = False, every_s: float = LINE_EVERY_S):
        self.iterable, self.total, self.desc = iterable, max(int(total), 0), desc
        self.n = self.start_n = int(initial)
        self.stream, self.silent, self.every_s = stream, silent, every_s
        self.postfix: dict[str, Any] = {}
        self.start = self.last_time = time.monotonic()
        self.last_tenth = self._tenth()
        self.closed = False

    def _tenth(self) -> int:
        return 10 * self.n // self.total if self.total else 10

    def __iter__(self) -> Iterator:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.silent:
            return
        now = time.monotonic()
        tenth = self._tenth()
        if tenth > self.last_tenth or now - self.last_time >= self.every_s:
            self.last_tenth, self.last_time = tenth, now
            if self.n < self.total:
                self._line(now)

    def set_postfix(self, **values: Any) -> None:
        self.postfix = values

    def close(self) -> None:
        if not self.closed and not self.silent and self.n > self.start_n:
            self._line(time.monotonic())
        self.closed = True

    def _line(self, now: float) -> None:
        elapsed = now - self.start
        rate = (self.n - self.start_n) / elapsed if elapsed > 0 else 0.0
        pct = f" ({100 * self.n // self.total}%)" if self.total else ""
        extra = "".join(f", {k}={v}" for k, v in self.postfix.items())
        self.stream.write(f"{self.desc}: {self.n}/{self.total}{pct}, {elapsed:.0f} s, "
                          f"{rate:.1f}/s{extra}\n")
        self.stream.flush()

    def __enter__(self) -> "Lines":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
