"""The ``curatedrl train`` processes a sweep runs, kept so that none outlives it.

``run`` starts a child (in the sweep's process group, with ``CURATEDRL_SWEEP_PID`` set: the child
asks Linux to send it SIGTERM if the sweep dies, even by SIGKILL) and waits for it. ``stop_all``
(on Ctrl-C or SIGTERM to the sweep) starts no more children and sends SIGTERM to the running
ones: each stops with its last checkpoint kept and releases its run directory.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from typing import IO

STOP = threading.Event()  # set on Ctrl-C / SIGTERM: no new cell starts, running ones stop
CHILDREN: set[subprocess.Popen] = set()
CHILDREN_LOCK = threading.Lock()


def reset() -> None:
    STOP.clear()


def stopping() -> bool:
    return STOP.is_set()


def run(cmd: list[str], log: IO, env: dict[str, str]) -> int | None:
    """Run ``cmd`` with its output in ``log``; its exit code, or None if the sweep is stopping."""
    with CHILDREN_LOCK:
        if STOP.is_set():
            return None
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        CHILDREN.add(proc)
    try:
        return proc.wait()
    finally:
        with CHILDREN_LOCK:
            CHILDREN.discard(proc)


def sigterm_interrupts():
    """SIGTERM to the sweep stops it like Ctrl-C (main thread only); returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


def stop_all(grace_s: float = 30.0, own_stop_s: float = 3.0) -> None:
    """No new cell starts; running ``train`` children get SIGTERM (they keep their last
    checkpoint and release their run directory) and are waited for. Children that got the
    same Ctrl-C (a terminal sends it to the whole process group) are first given
    ``own_stop_s`` to stop by themselves, so that no second signal lands in their clean stop."""
    STOP.set()
    with CHILDREN_LOCK:
        children = list(CHILDREN)
    deadline = time.monotonic() + own_stop_s
    for proc in children:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in children:
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
