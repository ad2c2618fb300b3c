"""An interrupted sweep (SIGINT to its process group, SIGTERM or SIGKILL to the sweep alone)
stops its cells, keeps each one's last checkpoint and every exported result, leaves no orphan
holding a cell, and says how to resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from curatedrl.run.safety.lock import is_locked
from tests.run_safety_tools import ENV, cli, die_with_parent, digest, kill_group, wait_for


@pytest.mark.parametrize("sig,group", [(signal.SIGINT, True), (signal.SIGTERM, False),
                                       (signal.SIGKILL, False)])
def test_interrupted_sweep_stops_its_cells_and_keeps_what_finished(hopper_random_id, tmp_path,
                                                                   sig, group):
    schedule = tmp_path / "slow.yaml"
    schedule.write_text(json.dumps({"common": {"eval_every": 0, "final_eval_episodes": 1,
                                               "batch_size": 4, "checkpoint_every": 20},
                                    "per_algo": {"bc": {"steps": 10},
                                                 "td3_bc": {"steps": 100000}}}))
    root, results = tmp_path / "runs", tmp_path / "results"
    cmd = cli("sweep", "--suite", "paper", "--algo", "bc", "--algo", "td3_bc", "--dataset",
              hopper_random_id, "--seeds", "2", "--schedule", str(schedule), "--root",
              str(root), "--results", str(results), "--threads", "1",
              "--seeds-per-process", "1")  # one cell per process (stacked: test_sweep_stacked)
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=die_with_parent)
    try:
        running = root / "slow" / "minari" / "td3_bc" / "hopper-random" / "seed0"
        wait_for(lambda: (running / "resume.pt").exists(), 240)
        exported = digest(results)
        assert len([k for k in exported if k.endswith("final.json")]) == 2  # the two bc cells
        if group:
            os.killpg(proc.pid, sig)  # Ctrl-C in a terminal reaches the whole group
        else:
            os.kill(proc.pid, sig)  # the sweep alone
        out, err = proc.communicate(timeout=120)
        wait_for(lambda: is_locked(running / ".lock") is None, 60)  # no orphan holds the cell
        assert (running / "resume.pt").exists() and not (running / "final.json").exists()
        assert not (root / "slow" / "minari" / "td3_bc" / "hopper-random" / "seed1").exists()
        assert digest(results) == exported
        if sig != signal.SIGKILL:
            assert proc.returncode == 130, out + err
            assert err.strip().splitlines()[-1] == (
                "curatedrl: sweep interrupted: 2 cells finished and exported to "
                f"{results}, 1 stopped (each keeps its last checkpoint), 1 not run; run the same "
                "command again to resume")
        log = (running / "train.log").read_text()
        assert "curatedrl: interrupted at step" in log and "Traceback" not in log
    finally:  # also when the test fails or pytest is stopped: no sweep or cell outlives it
        kill_group(proc)
