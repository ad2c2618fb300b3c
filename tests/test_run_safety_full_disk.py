"""A full disk while a run writes its checkpoint: one line saying so, no temporary left behind,
and the last checkpoint intact (on a real 3 MB tmpfs where this process may mount one, else with
torch.save failing as it does on a full disk)."""

from __future__ import annotations

import os
import subprocess

import pytest
import torch

from curatedrl.run.loop.train import train
from curatedrl.errors import CuratedRLError
from tests.run_safety_tools import FAST


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs when this process may mount one (root on Linux), else None."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                        capture_output=True).returncode == 0 if os.geteuid() == 0 else False
    yield mnt if ok else None
    if ok:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_gives_one_line_and_keeps_the_last_checkpoint(
        hopper_random_id, tmp_path, small_disk, monkeypatch):
    settings = {**FAST, "steps": 40, "level": "transition"}  # trained, with Adam state
    if small_disk is None:  # no tmpfs here: torch.save fails as on a full disk
        import curatedrl.run.records.checkpoint as ckpt
        import curatedrl.fileio as fileio
        calls = {"n": 0}
        save = torch.save

        def failing(obj, f, *a, **k):
            calls["n"] += 1
            if calls["n"] > 1:
                raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos")
            return save(obj, f, *a, **k)
        monkeypatch.setattr(ckpt.torch, "save", failing)
        usage = fileio.shutil.disk_usage  # the disk fills up after the first checkpoint
        monkeypatch.setattr(fileio.shutil, "disk_usage", lambda p: usage(p)._replace(free=0)
                            if calls["n"] > 1 else usage(p))
        run = tmp_path / "run"
    else:
        run = small_disk / "run"
    with pytest.raises(CuratedRLError, match=r"no space left on the disk holding .* while "
                                             r"writing resume.pt; .*the last checkpoint, is "
                                             r"intact"):
        train("bc", hopper_random_id, 0, settings, run, progress=False)
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    assert torch.load(run / "resume.pt", weights_only=True)["step"] == 10
