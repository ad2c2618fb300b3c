"""The run-safety tests' shared plumbing: tiny schedules, a digest of every file under a folder,
the `curatedrl` command as a child process, waiting on a condition, and child processes that
never outlive the test run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TINY = {"common": {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1,
                   "batch_size": 4}, "per_algo": {}, "name": "tiny"}
FAST = {"steps": 20, "batch_size": 4, "eval_every": 0, "final_eval_episodes": 2,
        "checkpoint_every": 10}
ENV = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file() and p.name != "train.log"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "curatedrl.cli", *args]


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def die_with_parent() -> None:
    """``preexec_fn``: the child gets SIGKILL when pytest dies, however it dies (SIGKILL
    included: then no ``finally`` runs), so a sweep never outlives the test run (its cells
    stop with it: they get SIGTERM when the sweep dies). And it gets SIGINT's default
    disposition, as a command typed in a terminal does, even when pytest itself runs as a
    background job (whose shell makes it ignore SIGINT, which a child keeps: test_file_safety)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to the process group ``proc`` leads (started with ``start_new_session``)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
