"""One writer per run directory and per sweep root: a second `train` on a run directory in use
is refused naming the holder's pid (and Ctrl-C on the first says how to resume), in process
too, and a second sweep on one root is refused; nothing that finished changes."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from curatedrl.run.safety.lock import DirLock, is_locked
from curatedrl.benchmarks.sweeps.sweep import SWEEP_LOCK, Cell, sweep
from curatedrl.run.loop.train import train
from curatedrl.cli import main
from curatedrl.errors import CuratedRLError
from tests.run_safety_tools import ENV, FAST, TINY, cli, die_with_parent, digest, wait_for


def test_second_writer_of_a_run_directory_is_refused_naming_the_holder(hopper_random_id,
                                                                       tmp_path):
    out = tmp_path / "run"
    base = ["train", "--algo", "bc", "--dataset", hopper_random_id, "--out", str(out),
            "--steps", "200000", "--batch-size", "4", "--eval-every", "0",
            "--final-eval-episodes", "1", "--set", "checkpoint_every=20",
            "--set", "level=transition"]  # trained (an episode-level bc would replay stage 1)
    first = subprocess.Popen(cli(*base, "--set", "lr=0.001"), env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
    try:
        wait_for(lambda: (out / "resume.pt").exists())
        second = subprocess.run(cli(*base, "--set", "lr=0.001"), env=ENV, capture_output=True,
                                text=True, timeout=120)
        other = subprocess.run(cli(*base, "--set", "lr=0.003"), env=ENV, capture_output=True,
                               text=True, timeout=120)
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=60)
    for refused in (second, other):
        assert refused.returncode == 2
        assert refused.stderr.strip().splitlines() == [
            f"curatedrl: error: run directory {str(out)!r} is in use by process {first.pid} "
            f"(it holds .lock); wait for it to end, or pass another --out"] or \
            "holds a run with another config (lr: 0.001 -> 0.003)" in refused.stderr
    assert "in use by process" in second.stderr
    # Ctrl-C on train: one line saying how to resume, exit 130
    assert first.returncode == 130
    assert err.strip().splitlines()[-1].startswith("curatedrl: interrupted at step ")
    assert "run the same command to resume" in err
    assert "lr: 0.001" in (out / "config.yaml").read_text()
    assert not list(out.glob(".*.tmp"))


def test_locked_run_directory_in_process_changes_nothing(hopper_random_id, tmp_path, capsys):
    out = tmp_path / "run"
    train("bc", hopper_random_id, 0, FAST, out, progress=False)
    (out / "final.json").unlink()  # as if interrupted: a second writer would resume it
    assert not (out / ".lock").exists()  # a finished run keeps no lock file
    with DirLock(out, "run directory"):
        before = digest(out)  # the holder's .lock included
        code = main(["train", "--algo", "bc", "--dataset", hopper_random_id, "--out", str(out),
                     *[a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]])
    assert code == 2 and f"is in use by process {os.getpid()}" in capsys.readouterr().err
    assert digest(out) == before


def test_two_sweeps_on_one_root(hopper_random_id, tmp_path):
    root, results = tmp_path / "runs", tmp_path / "results"
    first = sweep([Cell("bc", hopper_random_id, 0)], TINY, root, results, progress=False)
    assert len(first["finished"]) == 1
    before = digest(tmp_path)
    with DirLock(root / "tiny" / "minari", "sweep root", SWEEP_LOCK):  # test/...: minari
        with pytest.raises(CuratedRLError, match=f"sweep root .* is in use by process "
                                                 f"{os.getpid()} .*pass another --root"):
            sweep([Cell("bc", hopper_random_id, s) for s in (0, 1)], TINY, root, results,
                  progress=False)
    assert digest(tmp_path) == before
    assert is_locked(root / "tiny" / "minari" / SWEEP_LOCK) is None
