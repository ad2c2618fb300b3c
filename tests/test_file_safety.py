"""Files that cannot be turned against the user, and processes that behave: lock files never
followed through links, a full disk at start, results exported as one set, temporaries of
killed writers removed, the stage-1 cache keyed by thread count, progress output off a
terminal, and signal handling (Ctrl-C ignored by the parent stays ignored; a sweep wakes for
SIGTERM; ``main`` puts back the handlers it installed). The bad inputs of ``curatedrl train``
itself are in test_bad_inputs_train.py."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from curatedrl.cli import main
from curatedrl.errors import CuratedRLError
from curatedrl.benchmarks.sweeps import children, launch
from curatedrl.benchmarks.sweeps.sweep import SWEEP_LOCK, Cell, export, sweep
from curatedrl.run.safety.lock import DirLock
from curatedrl.run.loop.train import train

FAST = {"steps": 20, "batch_size": 4, "eval_every": 0, "final_eval_episodes": 2,
        "checkpoint_every": 10}
TINY = {"common": {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 1,
                   "batch_size": 4}, "per_algo": {}, "name": "tiny"}
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SECRET = "the user's file\n"


def train_args(dataset: str, out: Path, *extra: str) -> list[str]:
    return ["train", "--algo", "bc", "--dataset", dataset, "--out", str(out),
            *[a for k, v in FAST.items() for a in ("--set", f"{k}={v}")], *extra]


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# ---- lock files -----------------------------------------------------------------------------

@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_planted_lock_file_never_changes_its_target(tmp_path, link):
    target = tmp_path / "secret.txt"
    target.write_text(SECRET)
    folder = tmp_path / "run"
    folder.mkdir()
    if link == "symbolic":
        (folder / ".lock").symlink_to(target)
    else:
        os.link(target, folder / ".lock")
    with pytest.raises(CuratedRLError, match=r"its lock file \.lock (is a symbolic link|has 2 "
                                             r"names \(hard links\)); a lock file is a plain "
                                             r"file of its own .*delete"):
        DirLock(folder, "run directory").acquire()
    assert target.read_text() == SECRET


def test_a_planted_sweep_lock_never_changes_its_target(hopper_random_id, tmp_path, capsys):
    target = tmp_path / "secret.txt"
    target.write_text(SECRET)
    root = tmp_path / "runs" / "tiny" / "minari"  # test/... data is not the project's
    root.mkdir(parents=True)
    (root / SWEEP_LOCK).symlink_to(target)
    with pytest.raises(CuratedRLError, match=r"sweep root .*: its lock file \.sweep\.lock is a "
                                             r"symbolic link"):
        sweep([Cell("bc", hopper_random_id, 0)], TINY, tmp_path / "runs",
              tmp_path / "results", progress=False)
    assert target.read_text() == SECRET


def test_a_lock_file_that_is_not_a_pid_is_never_shown(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    with DirLock(folder, "run directory"):
        os.truncate(folder / ".lock", 0)
        (folder / ".lock").write_text("password=hunter2\n")
        with pytest.raises(CuratedRLError, match="in use by process unknown") as err:
            DirLock(folder, "run directory").acquire()
    assert "hunter2" not in str(err.value)


def test_a_full_disk_at_start_is_one_line_and_creates_nothing(hopper_random_id, tmp_path,
                                                              monkeypatch, capsys):
    import shutil

    usage = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(p)._replace(free=4096))
    out = tmp_path / "run"
    assert main(train_args(hopper_random_id, out)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"curatedrl: error: run directory {str(out)!r}: no space left on the disk holding "
        f"{str(tmp_path)!r} (4096 bytes free); free space and run the same command again")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("call", ["open", "pwrite"])
def test_a_disk_full_when_the_lock_is_written_is_one_line(hopper_random_id, tmp_path,
                                                          monkeypatch, capsys, call):
    import curatedrl.run.safety.lock as lock

    real = getattr(os, call)

    def full(path_or_fd, *args, **kwargs):
        if call == "pwrite" or str(path_or_fd).endswith(".lock"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path_or_fd, *args, **kwargs)
    monkeypatch.setattr(lock.os, call, full)
    out = tmp_path / "run"
    assert main(train_args(hopper_random_id, out)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"curatedrl: error: no space left on the disk holding {str(out)!r} "
                     f"(writing its lock file .lock); nothing else was written: free space and "
                     f"run the same command again"]
    assert not (out / "config.yaml").exists()


# ---- results exported as one set, temporaries of killed writers -----------------------------

def _finished_run(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    for name in ("config.yaml", "eval.csv", "final.json"):
        (folder / name).write_text(f"{name} {version}\n")
    return folder


def test_an_export_killed_between_its_writes_leaves_the_old_set(tmp_path, monkeypatch):
    import curatedrl.fileio as fileio

    dest = tmp_path / "results" / "seed0"
    export(_finished_run(tmp_path / "old", "old"), dest)
    before = {p.name: p.read_text() for p in dest.iterdir()}
    calls = {"n": 0}
    fsync = os.fsync

    def killed(fd):  # the export dies after its first file is on disk
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")
        fsync(fd)
    monkeypatch.setattr(fileio.os, "fsync", killed)
    with pytest.raises(SystemExit):
        export(_finished_run(tmp_path / "new", "new"), dest)
    monkeypatch.undo()
    assert {p.name: p.read_text() for p in dest.iterdir()} == before
    assert sorted(p.name for p in dest.parent.iterdir()) == ["seed0"]
    export(tmp_path / "new", dest)
    assert {p.name: p.read_text() for p in dest.iterdir()} == {
        n: f"{n} new\n" for n in ("config.yaml", "eval.csv", "final.json")}


def test_temporaries_of_killed_writers_are_removed_when_a_sweep_starts(hopper_random_id,
                                                                       tmp_path):
    root, results = tmp_path / "runs", tmp_path / "results"
    sweep([Cell("bc", hopper_random_id, 0)], TINY, root, results, progress=False, threads=1)
    cell = "bc/hopper-random/seed0"
    exported = results / "tiny" / "minari" / cell  # test/... data is not the project's
    run_dir = root / "tiny" / "minari" / cell
    dead, alive = dead_pid(), os.getpid()
    stale = [exported.parent / f".seed0.{dead}-0123abcd.tmp",  # a folder of atomic_write_dir
             exported / f".final.json.{dead}-89abcdef.tmp",  # a file of an older export
             run_dir / f".resume.pt.{dead}-00ff00ff.tmp"]
    stale[0].mkdir()
    (stale[0] / "final.json").write_text("{}")
    for path in stale[1:]:
        path.write_text("partial")
    live = exported / f".eval.csv.{alive}-deadbeef.tmp"  # its writer runs: mid-write
    live.write_text("partial")
    out = sweep([Cell("bc", hopper_random_id, 0)], TINY, root, results, progress=False,
                threads=1)
    assert out["skipped"] and not any(p.exists() for p in stale)
    assert live.exists()


# ---- the stage-1 cache and progress output --------------------------------------------------

def test_stage_one_cache_is_not_shared_across_thread_counts(hopper_random_id, tmp_path):
    settings = {**FAST, "steps": 2, "ref_steps": 3, "ref_batch_size": 4,
                "steps_per_episode": 4}
    threads = torch.get_num_threads()
    try:
        first = train("filtered_bc", hopper_random_id, 3, settings, tmp_path / "a",
                      progress=False)
        again = train("filtered_bc", hopper_random_id, 3, settings, tmp_path / "b",
                      progress=False)
        torch.set_num_threads(2)
        other = train("filtered_bc", hopper_random_id, 3, settings, tmp_path / "c",
                      progress=False)
    finally:
        torch.set_num_threads(threads)
    assert again["reference_cached"] and again["reference_key"] == first["reference_key"]
    assert not other["reference_cached"] and other["reference_key"] != first["reference_key"]


def test_progress_off_a_terminal_is_plain_lines_and_tqdm_disable_is_respected(
        hopper_random_id, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    train("bc", hopper_random_id, 0, {**FAST, "level": "transition"}, tmp_path / "a")
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("bc test/hopper/random-v0 seed 0:")]
    assert "\r" not in err and len(lines) == 10  # every tenth of the 20 steps, and the end
    assert lines[-1].startswith("bc test/hopper/random-v0 seed 0: 20/20 (100%), ")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    train("bc", hopper_random_id, 0, {**FAST, "level": "transition"}, tmp_path / "b")
    assert capsys.readouterr().err == ""


# ---- signals --------------------------------------------------------------------------------

def test_main_puts_back_the_signal_handlers_it_installed(hopper_random_id, tmp_path, capsys):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert main(train_args(hopper_random_id, tmp_path / "run")) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_ctrl_c_ignored_by_the_parent_stays_ignored_in_train(hopper_random_id, tmp_path,
                                                             minari_store):
    """A sweep started with SIGINT ignored (a background job of a non-interactive shell) passes
    that on to its cells: a SIGINT to the group must not stop them."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "curatedrl.cli", *train_args(hopper_random_id, out),
           "--set", "level=transition", "--steps", "3000", "--set", "checkpoint_every=50"]
    proc = subprocess.Popen(cmd, env={**ENV, "TQDM_DISABLE": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.time() + 120
        while not (out / "resume.pt").exists():
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert (out / "final.json").exists()


def test_a_sweep_wakes_for_sigterm_delivered_to_a_worker_thread(monkeypatch):
    """The kernel may deliver a signal to any thread; Python runs handlers in the main thread
    only, so a main thread blocked waiting for jobs must wake up to run it (an orphaned sweep
    ignored SIGTERM for minutes)."""
    worker = {}
    started = threading.Event()

    def job(*args):  # a cell that runs until the sweep stops (at most 60 s)
        worker["id"] = threading.get_ident()
        started.set()
        deadline = time.monotonic() + 60
        while not children.stopping() and time.monotonic() < deadline:
            time.sleep(0.02)
        return []

    monkeypatch.setattr(launch, "run_cells", job)
    children.reset()
    previous = children.sigterm_interrupts()
    sender = threading.Thread(target=lambda: started.wait(30) and (
        time.sleep(0.3), signal.pthread_kill(worker["id"], signal.SIGTERM)))
    sender.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            launch.run_local([([], [], {}, {}, 1, None)], 1, None, 0.0, False, lambda c: None,
                             [])
    finally:
        signal.signal(signal.SIGTERM, previous)
        children.STOP.set()
        sender.join()
        children.reset()
    assert time.monotonic() - t0 < 10
