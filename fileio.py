"""Atomic file writes: a temporary file in the same folder (its name unique to the writing
process), flushed to disk, then renamed over the target. A reader (or a process killed mid-write)
sees the old file or the new one, never half of one. Ctrl-C or SIGTERM arriving during a write
takes effect when the write is done (an exception inside ``torch.save`` leaves a broken zip
writer that raises its own error instead of the interrupt). A write that fails (a full disk)
removes its temporary file and raises one line naming the path; the target is left as it was.

A root module (below envs/ and datasets/) so that every layer writes files the same way; it is not
named ``io`` so that it can never shadow the standard library's module."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator, TextIO

from curatedrl.errors import CuratedRLError


def tmp_path_for(path: Path) -> Path:
    """A temporary sibling for writing ``path``, unique to this process and call."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM received inside the block are handled when it ends, by the handler
    that was installed (in the main thread; elsewhere signals are not delivered to Python)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    names = (signal.SIGINT, signal.SIGTERM)
    saved = {s: signal.getsignal(s) for s in names}
    for s in names:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        if pending:
            handler = saved[pending[0]]
            if callable(handler):
                handler(pending[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(pending[0])


def atomic_write(path: Path, write: Callable[[TextIO], None], binary: bool = False) -> None:
    """Call ``write(f)`` on a temporary file next to ``path``, fsync it, rename it to ``path``.

    On failure the temporary file is removed; a full disk (or quota) raises ``CuratedRLError``
    naming the path (torch reports a full disk as a RuntimeError, so free space is checked)."""
    path = Path(path)
    tmp = tmp_path_for(path)
    with deferred_interrupts():
        _write_and_rename(path, tmp, write, binary)


def _write_and_rename(path: Path, tmp: Path, write: Callable[[TextIO], None],
                      binary: bool) -> None:
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
