"""One writer per directory, and output paths checked before any work.

``DirLock`` takes an exclusive ``fcntl.flock`` on a lock file inside a directory (a run
directory: ``.lock``; a sweep's root: ``.sweep.lock``). The OS releases it when the holding
process exits, however it exits (SIGKILL included), so a stale lock never needs cleaning up.
The holder writes its pid into the file; a second writer is refused at once with one line
naming that pid. The lock file is opened without following a symbolic link (``O_NOFOLLOW``) and
must be a plain file with no other name: a ``.lock`` planted as a link to another file would
otherwise get that file truncated and overwritten with a pid. A holder that sets ``remove`` (a
run that finished) deletes the lock file as it releases it, so a finished run directory holds no
``.lock``. flock is local to one machine: two machines writing one shared folder are not kept
apart (a Ray cluster gives each cell to one node, so this does not arise there).

``check_output_dir`` refuses, before anything is computed, an output path that cannot become a
writable directory: a file in the way, a symlink loop, a name longer than the filesystem allows,
a read-only or unwritable parent, or a full disk.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
from pathlib import Path

from curatedrl.errors import CuratedRLError
from curatedrl.fileio import disk_full

RUN_LOCK = ".lock"
# Never through a symbolic link; a FIFO in its place must not block the open.
LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
MIN_FREE_BYTES = 1 << 20  # a disk with less free space than this is full (as fileio.disk_full)


class DirLock:
    """``with DirLock(folder, what):`` holds the folder's lock file for the block."""

    def __init__(self, folder: Path, what: str, name: str = RUN_LOCK, hint: str = ""):
        self.path = Path(folder) / name
        self.what, self.hint = what, hint
        self.remove = False  # set by the holder: delete the lock file on release
        self.fd: int | None = None

    def acquire(self) -> "DirLock":
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise CuratedRLError(f"{self.what} {str(self.path.parent)!r} is in use by "
                                     f"process {holder(self.path)} (it holds {self.path.name})"
                                     f"{self.hint}") from None
            # The file may have been replaced between open and flock: lock the current one.
            try:
                same = os.fstat(fd).st_ino == os.lstat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise CuratedRLError(self._cannot(exc)) from None
        self.fd = fd
        return self

    def _open(self) -> int:
        """The lock file's descriptor: never through a symbolic link (its target would be
        truncated and overwritten with a pid), never a file that is not plain or has another
        name (a hard link); a full disk or an unwritable folder is one line."""
        try:
            fd = os.open(self.path, LOCK_FLAGS, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CuratedRLError(self._not_plain("is a symbolic link")) from None
            raise CuratedRLError(self._cannot(exc)) from None
        st = os.fstat(fd)
        problem = ("is not a plain file" if not stat.S_ISREG(st.st_mode) else
                   f"has {st.st_nlink} names (hard links)" if st.st_nlink != 1 else None)
        if problem is not None:
            os.close(fd)
            raise CuratedRLError(self._not_plain(problem))
        return fd

    def _not_plain(self, problem: str) -> str:
        return (f"{self.what} {str(self.path.parent)!r}: its lock file {self.path.name} "
                f"{problem}; a lock file is a plain file of its own (writing it would change "
                f"another file): delete {str(self.path)!r} and run the same command again")

    def _cannot(self, exc: OSError) -> str:
        if disk_full(exc, self.path.parent):
            return (f"no space left on the disk holding {str(self.path.parent)!r} (writing its "
                    f"lock file {self.path.name}); nothing else was written: free space and run "
                    f"the same command again")
        return (f"{self.what} {str(self.path.parent)!r}: cannot write its lock file "
                f"{self.path.name} ({type(exc).__name__}: {exc.strerror or exc}); make the "
                f"folder writable or pass another path")

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None

    def __enter__(self) -> "DirLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        if self.remove and self.fd is not None:
            self._unlink_own()
        self.release()

    def _unlink_own(self) -> None:
        """Delete the lock file while still holding it (``remove``, set by a run that finished:
        a finished run directory keeps no ``.lock``), only if the path is still the file this
        process locked. A process
        that opened it before holds a locked file and is refused as usual; one that opens the
        path after makes a new file, as on a first run."""
        try:
            if os.fstat(self.fd).st_ino == os.stat(self.path).st_ino:
                os.unlink(self.path)
        except FileNotFoundError:
            pass


def holder(path: Path) -> str:
    """The pid recorded in a lock file (``unknown`` if it cannot be read, or holds anything but
    a pid: a lock file is never followed through a symbolic link, and never shown)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return "unknown"
    try:
        text = os.read(fd, 32).decode("ascii", errors="replace").strip() \
            if stat.S_ISREG(os.fstat(fd).st_mode) else ""
    except OSError:
        text = ""
    finally:
        os.close(fd)
    return text if text.isdigit() else "unknown"


def is_locked(path: Path) -> str | None:
    """The holder's pid if another open file description holds ``path``'s lock, else None.
    Never creates the file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return holder(path)
    finally:
        os.close(fd)  # also drops the probe's own lock
    return None


def check_output_dir(path: Path, what: str) -> None:
    """Refuse a path that cannot be (or become) a writable directory; creates nothing."""
    path = Path(path)
    max_name = _name_max(path)
    too_long = [p for p in path.parts if len(os.fsencode(p)) > max_name]
    if too_long:  # the path is shown with each over-long name cut to its first 40 characters
        shown = str(Path(*[p[:40] + "..." if p in too_long else p for p in path.parts]))
        raise CuratedRLError(f"{what} {shown!r}: the name {too_long[0][:40]!r}... is "
                             f"{len(os.fsencode(too_long[0]))} bytes long; this filesystem "
                             f"allows {max_name}; pick a shorter name")
    if len(os.fsencode(str(path.absolute()))) >= os.pathconf("/", "PC_PATH_MAX"):
        raise CuratedRLError(f"{what} {str(path)[:80]!r}... is longer than the system allows; "
                             f"pick a shorter path")
    try:
        path.resolve(strict=False)
    except (RuntimeError, OSError) as exc:  # RuntimeError: symlink loop (Python < 3.13)
        raise CuratedRLError(f"{what} {str(path)!r} cannot be resolved ({_why(exc)}); it loops "
                             f"through symbolic links: pick another path") from None
    existing = path
    while not _lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing.is_symlink() and not existing.exists():
        raise CuratedRLError(f"{what} {str(path)!r}: {str(existing)!r} is a broken or looping "
                             f"symbolic link; pick another path")
    if not existing.is_dir():
        raise CuratedRLError(f"{what} {str(path)!r}: {str(existing)!r} is a file, not a folder; "
                             f"pick another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        why = "read-only filesystem" if _read_only(existing) else "permission denied"
        raise CuratedRLError(f"{what} {str(path)!r}: {str(existing)!r} is not writable ({why}); "
                             f"pick a writable path")
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        free = MIN_FREE_BYTES
    if free < MIN_FREE_BYTES:
        raise CuratedRLError(f"{what} {str(path)!r}: no space left on the disk holding "
                             f"{str(existing)!r} ({free} bytes free); free space and run the "
                             f"same command again")


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
    except (OSError, ValueError):  # missing, name too long, ...
        return False
    return True


def _name_max(path: Path) -> int:
    existing = Path(path).absolute()
    while not (_lexists(existing) and existing.is_dir()) and existing != existing.parent:
        existing = existing.parent
    try:
        return os.pathconf(existing, "PC_NAME_MAX")
    except OSError:
        return 255


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
