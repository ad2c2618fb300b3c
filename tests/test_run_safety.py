"""Runs and sweeps that cannot be fooled: one writer per run directory and per sweep root, cells
keyed by their config and data, the thread count on resume, interrupts, full disks, damaged
files and YAML bombs. Each test checks the message and that no finished result changed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from curatedrl.algos.bc import BC
from curatedrl.run.loop import reference
from curatedrl.benchmarks.suites.cell_config import load_schedule
from curatedrl.run.safety.lock import DirLock, is_locked
from curatedrl.benchmarks.sweeps.sweep import SWEEP_LOCK, Cell, sweep
from curatedrl.run.loop.train import train
from curatedrl.cli import main
from curatedrl.errors import CuratedRLError
from tests.test_d4rl import write_d4rl

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


# ---- one writer per run directory -----------------------------------------------------------

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


# ---- interrupts -----------------------------------------------------------------------------

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


# ---- what a cell is -------------------------------------------------------------------------

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
    update = BC.update

    def interrupted(self, batch):
        if self.num_updates == 14:
            raise KeyboardInterrupt
        return update(self, batch)
    monkeypatch.setattr(BC, "update", interrupted)
    with pytest.raises(KeyboardInterrupt, match="interrupted at step 15 of 20.*step 10"):
        train("bc", hopper_random_id, 0, FAST, run, progress=False)
    monkeypatch.setattr(BC, "update", update)
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


# ---- damaged files --------------------------------------------------------------------------

def test_damaged_reference_cache_is_recomputed(hopper_random_id, tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CACHE_DIR", tmp_path / "cache")
    settings = {**FAST, "ref_steps": 5, "ref_batch_size": 4, "warmup_steps": 5}
    a = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "a", progress=False)
    entry, = [p for p in (tmp_path / "cache").iterdir() if p.suffixes == [".safetensors"]]
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.warns(UserWarning, match=f"reference cache file {str(entry)!r} is damaged"):
        b = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "b", progress=False)
    assert not b["reference_cached"] and b["normalized_score_last"] == a["normalized_score_last"]
    c = train("iw_bc", hopper_random_id, 0, settings, tmp_path / "c", progress=False)
    assert c["reference_cached"]


def test_damaged_final_json_is_rerun_by_the_sweep(hopper_random_id, tmp_path, capsys):
    root, results = tmp_path / "runs", tmp_path / "results"
    cell = [Cell("bc", hopper_random_id, 0)]
    sweep(cell, TINY, root, results, progress=False)
    final = root / "tiny" / "minari" / cell[0].name / "final.json"
    final.write_bytes(final.read_bytes()[:30])
    out = sweep(cell, TINY, root, results, progress=False)
    assert out["finished"] == cell and "final.json is damaged" in capsys.readouterr().out
    assert json.loads(final.read_text())["status"] == "finished"


# ---- config and schedule files, --set -------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh")) + \
    "common: {steps: 5}\nper_algo: {bc: {eval_episodes: *h}}\n"


@pytest.mark.parametrize("text,message", [
    (BOMB, "anchors and aliases expand to more than 100000 values"),
    ("common: !!python/object:os.system {}\n",
     "is not plain YAML (could not determine a constructor for the tag"),
    ("common: {stpes: 50}\n", "unknown config key 'stpes' for BCConfig; did you mean 'steps'?"),
    ("x" * (2 << 20), "YAML files the suite reads are limited to 1048576 bytes"),
])
def test_bad_schedule_is_refused_by_dry_run(hopper_random_id, tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert len(BOMB) < 600
    code = main(["sweep", "--suite", "paper", "--algo", "bc", "--dataset", hopper_random_id,
                 "--seeds", "1", "--schedule", str(path), "--root", str(tmp_path / "runs"),
                 "--results", str(tmp_path / "results"), "--dry-run"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_ill_typed_set_and_unwritable_results_refused_before_any_cell(
        hopper_random_id, tmp_path, capsys):
    args = ["sweep", "--suite", "paper", "--algo", "bc", "--dataset", hopper_random_id,
            "--seeds", "1", "--schedule", "cpu", "--root", str(tmp_path / "runs")]
    assert main([*args, "--set", "lr=fast", "--dry-run"]) == 2
    assert "config key 'lr' needs a float, got 'fast'" in capsys.readouterr().err
    (tmp_path / "results").write_text("a file")
    assert main([*args, "--results", str(tmp_path / "results")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    assert load_schedule("cpu")["name"] == "cpu"


# ---- a full disk ----------------------------------------------------------------------------

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


# ---- the results tree the leaderboard reads -------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("normalized_score_last", "n/a"), ("normalized_score_last", None),
    ("normalized_score_last", [1.0]), ("normalized_score_last", True),
    ("normalized_score_best", float("nan")), ("seed", "0"),
])
def test_ill_typed_final_json_is_skipped_naming_the_field(tmp_path, field, value):
    from curatedrl.benchmarks.leaderboard.leaderboard import build
    from curatedrl.benchmarks.leaderboard.results import load_runs
    from curatedrl.run.records.rundir import ResultsFileWarning
    from tests.test_leaderboard import write_run

    for seed, score in enumerate((32.5, 37.5, 42.5)):
        write_run(tmp_path / "r", "bc", seed, score)
    good = build(tmp_path / "r", tmp_path / "good.md", tmp_path / "p", draw=False)
    bad = write_run(tmp_path / "r", "bc", 3, 0.0) / "final.json"
    wrong = f'"{field}": {json.dumps(value)}, "_was": '
    bad.write_text(bad.read_text().replace(f'"{field}": ', wrong))
    with pytest.warns(ResultsFileWarning, match=f"skipping results file {str(bad)!r}: field "
                                                f"{field!r} must be"):
        runs = load_runs(tmp_path / "r")
    assert sorted(r.final["seed"] for r in runs) == [0, 1, 2]
    with pytest.warns(ResultsFileWarning):
        again = build(tmp_path / "r", tmp_path / "again.md", tmp_path / "p", draw=False)
    tables, listed = again.split("## Run folders skipped")
    assert tables.rstrip() + "\n" == good  # the bad file changed no table: 37.5 ± 5.0 (3)
    line = next(ln for ln in listed.splitlines() if ln.startswith("- **1 run**: "))
    assert f": field {field!r} must be" in line
    assert line.endswith(" — `r/cpu/curatedrl/bc/hopper-medium/seed3`")
    assert "37.5 ± 5.0 (3)" in again
