"""Atomic file writes: a temporary file in the same folder (its name unique to the writing
process), flushed to disk, then renamed over the target. A reader (or a process killed mid-write)
sees the old file or the new one, never half of one. Ctrl-C or SIGTERM arriving during a write
takes effect when the write is done (an exception inside ``torch.save`` leaves a broken zip
writer that raises its own error instead of the interrupt). A write that fails (a full disk)
removes its temporary file and raises one line naming the path; the target is left as it was.

``atomic_write_dir`` replaces a folder of small files as one set (a results folder: config.yaml,
eval.csv, final.json): written into a temporary sibling folder, then swapped in with one rename,
so a reader or a killed writer sees the whole old set or the whole new one. Temporaries a killed
writer left behind (``.NAME.<pid>-<hex>.tmp`` files and folders) are removed by
``remove_stale_temporaries`` once their writer is gone.

A root module (below envs/ and datasets/) so that every layer writes files the same way; it is not
named ``io`` so that it can never shadow the standard library's module."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
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


TMP_NAME = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.tmp$")  # tmp_path_for's names


def remove_stale_temporaries(folder: Path, recursive: bool = False) -> list[Path]:
    """Remove the temporaries (``tmp_path_for`` names, files or folders) in ``folder`` (and its
    subfolders with ``recursive``) whose writing process no longer runs; returns them. A
    temporary of a running process is left alone: it may be mid-write."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    walk = os.walk(folder) if recursive else [(str(folder), [], [])]
    for top, dirs, _ in walk:
        for entry in os.scandir(top):
            match = TMP_NAME.match(entry.name)
            if match is None or _running(int(match.group(1))):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
                if entry.name in dirs:
                    dirs.remove(entry.name)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or not a pid): leave it
    return True


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


def atomic_write_dir(folder: Path, files: dict[str, bytes]) -> None:
    """Make ``folder`` hold ``files`` (name -> bytes), as one set: they are written and fsynced
    in a temporary sibling folder (which also receives the old folder's other entries, so
    nothing is lost), then swapped in. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``;
    elsewhere the old folder is renamed aside first (for a moment the folder is absent, never
    mixed). A write that fails removes the temporary folder; a full disk is one line."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_for(folder)
    with deferred_interrupts():
        try:
            tmp.mkdir()
            if folder.is_dir():
                for entry in os.scandir(folder):
                    if entry.name not in files:
                        copy = shutil.copytree if entry.is_dir() else shutil.copy2
                        copy(entry.path, tmp / entry.name)
            for name, data in files.items():
                with open(tmp / name, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            _fsync_dir(tmp)
            if not folder.is_dir():
                os.rename(tmp, folder)
            elif _exchange(tmp, folder):  # tmp now holds the old set
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                old = tmp_path_for(folder)
                os.rename(folder, old)
                os.rename(tmp, folder)
                shutil.rmtree(old, ignore_errors=True)
            _fsync_dir(folder.parent)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and disk_full(exc, folder.parent):
                raise CuratedRLError(f"no space left on the disk holding "
                                     f"{str(folder.parent)!r} while writing {folder.name}/; "
                                     f"its previous files are intact: free space and run the "
                                     f"same command again") from None
            raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``); False where
    the system or filesystem cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
