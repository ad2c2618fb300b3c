"""What a sweep cell is: a changed --set or other data bytes make another cell (the old run kept
apart, not overwritten); the thread count and the device do not; and resuming a run with
another thread count is refused unless allowed, then recorded."""

from __future__ import annotations

import pytest
import torch

from curatedrl.algos.bc import BC
from curatedrl.benchmarks.sweeps.sweep import Cell, sweep
from curatedrl.run.loop.train import train
from curatedrl.errors import CuratedRLError
from tests.run_safety_tools import FAST, TINY, digest
from tests.test_d4rl import write_d4rl


def test_changed_set_and_other_data_are_not_finished_another_thread_count_is(
        hopper_random_id, tmp_path, capsys):
    root, results = tmp_path / "runs", tmp_path / "results"
    cell = [Cell("bc", hopper_random_id, 0)]
    sweep(cell, TINY, root, results, progress=False, threads=1)
    old = (results / "tiny" / "minari" / cell[0].name / "final.json").read_bytes()
    plan = sweep(cell, TINY, root, results, extra={"lr": 0.0001}, threads=1, dry_run=True)
    assert len(plan["todo"]) == 1
    assert "(changed: config changed: lr: 0.001 -> 0.0001)" in capsys.readouterr().out
    # the thread count is how a run executed, not which cell it is: a finished run (or its
    # exported copy on a fresh clone) made with 1 thread is this cell for a 2-thread sweep
    assert sweep(cell, TINY, root, results, threads=2, dry_run=True)["todo"] == []
    assert "1 already finished" in capsys.readouterr().out
    fresh = tmp_path / "fresh-clone-runs"
    plan = sweep(cell, TINY, fresh, results, threads=2, dry_run=True, skip_exported=True)
    assert plan["todo"] == [] and plan["exported"] == cell
    assert sweep(cell, TINY, fresh, results, threads=2, dry_run=True)["todo"] == cell
    # the device too (a cell finished on a lent GPU is that cell for a CPU sweep)
    exported = results / "tiny" / "minari" / cell[0].name / "config.yaml"
    exported.write_text(exported.read_text().replace("device: cpu", "device: cuda"))
    assert "device: cuda" in exported.read_text()
    plan = sweep(cell, TINY, fresh, results, threads=1, dry_run=True, skip_exported=True)
    assert plan["todo"] == [] and plan["exported"] == cell
    capsys.readouterr()
    again = sweep(cell, TINY, root, results, extra={"lr": 0.0001}, progress=False, threads=1)
    assert again["finished"] == cell
    exported = results / "tiny" / "minari" / cell[0].name
    assert "lr: 0.0001" in (exported / "config.yaml").read_text()
    moved, = (root / "tiny" / "minari" / ".replaced").iterdir()
    assert (moved / "final.json").read_bytes() == old  # the old run is kept, not overwritten
    assert sweep(cell, TINY, root, results, extra={"lr": 0.0001}, threads=1,
                 dry_run=True)["todo"] == []

    # data2/hopper-good.hdf5 after data/hopper-good.hdf5: other data, same cell folder
    for folder, seed in (("data", 0), ("data2", 1)):
        (tmp_path / folder).mkdir()
        write_d4rl(tmp_path / folder / "hopper-good.hdf5", [0] * 39 + [1], [0] * 40,
                   rewards=torch.rand(40, generator=torch.Generator().manual_seed(seed)).numpy())
    a, b = (str(tmp_path / f / "hopper-good.hdf5") for f in ("data", "data2"))
    sweep([Cell("bc", a, 0)], TINY, root, results, progress=False, threads=1)
    plan = sweep([Cell("bc", b, 0)], TINY, root, results, threads=1, dry_run=True)
    assert len(plan["todo"]) == 1
    text = capsys.readouterr().out
    # the same file name is the same dataset name; the bytes tell them apart
    assert "(changed: config changed: dataset_hash:" in text and f"dataset: {a!r}" not in text
    with pytest.raises(CuratedRLError, match="would share the cell folder 'hopper-good'"):
        from curatedrl.benchmarks.sweeps.sweep import expand
        expand("paper", 1, ["bc"], [a, b])


def test_resume_with_another_thread_count(hopper_random_id, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    update, prepare = BC.update, BC.prepare

    def prepared(self, *args, **kwargs):  # the run's own agent, not a stage 1 it may train
        self.interrupt_at = 14            # (alone, the test finds no cached stage 1)
        return prepare(self, *args, **kwargs)

    def interrupted(self, batch):
        if self.num_updates == getattr(self, "interrupt_at", None):
            raise KeyboardInterrupt
        return update(self, batch)
    monkeypatch.setattr(BC, "prepare", prepared)
    monkeypatch.setattr(BC, "update", interrupted)
    with pytest.raises(KeyboardInterrupt, match="interrupted at step 15 of 20.*step 10"):
        train("bc", hopper_random_id, 0, FAST, run, progress=False)
    monkeypatch.setattr(BC, "update", update)
    monkeypatch.setattr(BC, "prepare", prepare)
    before = digest(run)
    torch.set_num_threads(2)
    try:
        with pytest.raises(CuratedRLError, match="started with 1 torch thread.*runs 2"):
            train("bc", hopper_random_id, 0, FAST, run, progress=False)
        assert digest(run) == before
        final = train("bc", hopper_random_id, 0, FAST, run, progress=False,
                      allow_thread_change=True)
    finally:
        torch.set_num_threads(1)
    assert final["thread_changes"] == ["threads 1 -> 2 at step 10"] and final["threads"] == 2
