"""Atomic file writes: a temporary file in the same folder (its name unique to the writing
process), flushed to disk, then renamed over the target. A reader (or a process killed mid-write)
sees the old file or the new one, never half of one. A write that fails (a full disk) removes its
temporary file and raises one line naming the path; the target is left as it was.

A root module (below envs/ and datasets/) so that every layer writes files the same way; it is not
named ``io`` so that it can never shadow the standard library's module."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from pathlib import Path
from typing import Callable, TextIO

from curatedrl.errors import CuratedRLError


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
