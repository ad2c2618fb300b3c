"""The workspace every bad input runs in, and one bad input run through the command line.

The workspace holds a finished run, an interrupted run (resume.pt at step 10), copies of both
with one file damaged each, data files each broken in one way, a private Minari store with
broken datasets, and a symbolic-link loop. ``run_case`` records the one-line message and every
file created or changed (nothing may be)."""

from __future__ import annotations

import hashlib
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from curatedrl.algos.bc import BC
from curatedrl.run.loop.train import train
from curatedrl.cli import main
from tests.bad_input_cases import BASE, BOMB, Case
from tests.test_d4rl import write_d4rl

SETTINGS = {"steps": 20, "batch_size": 4, "eval_every": 0, "final_eval_episodes": 2,
            "checkpoint_every": 10}
SECRET = "a file of the user's that a planted .lock points to\n"


def _data_files(data: Path) -> None:
    """D4RL-format files, each broken in one way."""
    good = data / "good.hdf5"
    write_d4rl(good, [0] * 29 + [1], [0] * 30)
    raw = good.read_bytes()
    (data / "hopper-cut.hdf5").write_bytes(raw[: len(raw) // 2])
    (data / "hopper-damaged.hdf5").write_bytes(raw[:600] + bytes(400) + raw[1000:])
    (data / "hopper-text.hdf5").write_text("observations,actions\n1,2\n")
    good.unlink()
    write_d4rl(data / "hopper-nokeys.hdf5", [0, 1], [0, 0], drop=("rewards", "timeouts"))
    write_d4rl(data / "hopper-lengths.hdf5", [0] * 29 + [1], [0] * 30,
               rewards=np.zeros(29, np.float32))
    obs = np.zeros((30, 11), np.float32)
    obs[3, 2] = np.nan
    write_d4rl(data / "hopper-nan.hdf5", [0] * 29 + [1], [0] * 30, observations=obs)
    rew = np.ones(30, np.float32)
    rew[[7, 20]] = [np.inf, -np.inf]
    write_d4rl(data / "hopper-inf.hdf5", [0] * 29 + [1], [0] * 30, rewards=rew)
    write_d4rl(data / "halfcheetah-obs11.hdf5", [0, 1], [0, 0], obs_dim=11, act_dim=6)
    write_d4rl(data / "hopper-empty.hdf5", [], [], observations=np.zeros((0, 11), np.float32),
               actions=np.zeros((0, 3), np.float32))
    act = np.zeros((30, 3), np.float32)
    act[4, 1] = 5.0
    write_d4rl(data / "hopper-act5.hdf5", [0] * 29 + [1], [0] * 30, actions=act)
    obs = np.zeros((30, 11), np.float32)
    obs[6, 0] = 1e30
    write_d4rl(data / "hopper-obs1e30.hdf5", [0] * 29 + [1], [0] * 30, observations=obs)
    rew = np.ones(30, np.float32)
    rew[9] = 3e38
    write_d4rl(data / "hopper-rew3e38.hdf5", [0] * 29 + [1], [0] * 30, rewards=rew)
    write_d4rl(data / "hopper-act6.hdf5", [0, 1], [0, 0], obs_dim=11, act_dim=6)
    write_d4rl(data / "hopper-bytes.hdf5", [0] * 29 + [1], [0] * 30,
               observations=np.full((30, 11), b"1.0"))
    write_d4rl(data / "hopper-complex.hdf5", [0] * 29 + [1], [0] * 30,
               observations=np.ones((30, 11), np.complex64) * 1j)
    write_d4rl(data / "hopper-intact.hdf5", [0] * 29 + [1], [0] * 30,
               actions=np.zeros((30, 3), np.int64))
    write_d4rl(data / "hopper-term2.hdf5", [0] * 29 + [1], [0] * 30)
    with h5py.File(data / "hopper-term2.hdf5", "r+") as f:
        del f["terminals"]
        f["terminals"] = np.array([0] * 29 + [2], np.int8)
    write_d4rl(data / "hopper-next12.hdf5", [0] * 29 + [1], [0] * 30,
               next_observations=np.zeros((30, 12), np.float32))
    (data / "secret.txt").write_text(SECRET)


def _broken_minari_store(store: Path) -> None:
    """A private Minari store with a truncated dataset and one with corrupt metadata."""
    from curatedrl.datasets.generate import UniformRandomPolicy, generate_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINARI_DATASETS_PATH", str(store))
        for name in ("cut", "meta"):
            generate_dataset(f"broken/hopper/{name}-v0", "Hopper-v5",
                             UniformRandomPolicy.for_env("Hopper-v5", seed=1), 3, seed=5)
        generate_dataset("broken/hopper/width-v0", "Hopper-v5",
                         UniformRandomPolicy.for_env("Hopper-v5", seed=1), 3, seed=5)
    main_data = store / "broken/hopper/cut-v0/data/main_data.hdf5"
    main_data.write_bytes(main_data.read_bytes()[:4000])
    meta = store / "broken/hopper/meta-v0/data/metadata.json"
    meta.write_text(meta.read_text()[:50])
    with h5py.File(store / "broken/hopper/width-v0/data/main_data.hdf5", "r+") as f:
        obs = f["episode_1/observations"][()]  # one episode one column wider than the others
        del f["episode_1/observations"]
        f["episode_1/observations"] = np.concatenate([obs, obs[:, :1]], 1)


def build_workspace(root: Path, hopper_random_id: str) -> dict[str, str]:
    """The workspace in the empty folder ``root``: what ``ws`` (tests/conftest.py) holds."""
    (root / "data").mkdir()
    _data_files(root / "data")
    _broken_minari_store(root / "minari")
    train("bc", hopper_random_id, 0, SETTINGS, root / "runs" / "finished", progress=False)
    with pytest.MonkeyPatch.context() as mp:
        update = BC.update

        def interrupted(self, batch):  # Ctrl-C at step 15
            if self.num_updates == 14:
                raise KeyboardInterrupt
            return update(self, batch)
        mp.setattr(BC, "update", interrupted)
        with pytest.raises(KeyboardInterrupt):
            train("bc", hopper_random_id, 0, SETTINGS, root / "runs" / "interrupted",
                  progress=False)
    assert (root / "runs" / "interrupted" / "resume.pt").exists()
    _damaged_runs(root / "runs")
    (root / "loop").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop")
    return {"root": str(root), "hopper": hopper_random_id, "runs": str(root / "runs"),
            "data": str(root / "data"), "store": str(root / "minari")}


def _damaged_runs(runs: Path) -> None:
    """Copies of the finished and interrupted runs with one file damaged each."""
    shutil.copytree(runs / "finished", runs / "torn")
    final = runs / "torn" / "final.json"
    final.write_bytes(final.read_bytes()[:40])
    shutil.copytree(runs / "finished", runs / "typed")
    final = runs / "typed" / "final.json"
    final.write_text(final.read_text().replace('"normalized_score_last": ',
                                               '"normalized_score_last": "n/a", "x": '))
    shutil.copytree(runs / "interrupted", runs / "damaged-rows")
    rows = runs / "damaged-rows" / "rows.jsonl"
    rows.write_bytes(rows.read_bytes().replace(b"metrics", b"met#ics", 1))
    for name, tamper in (("step-huge", _set_step(10**9)), ("step-negative", _set_step(-5)),
                         ("wrong-shape", _widen_first_layer)):
        shutil.copytree(runs / "interrupted", runs / name)
        ckpt = torch.load(runs / name / "resume.pt", weights_only=True)
        tamper(ckpt)
        torch.save(ckpt, runs / name / "resume.pt")
    (runs / "symlinked").mkdir()
    (runs / "symlinked" / ".lock").symlink_to(runs.parent / "data" / "secret.txt")


def _set_step(step: int):
    def tamper(ckpt: dict) -> None:
        ckpt["step"] = step
    return tamper


def _widen_first_layer(ckpt: dict) -> None:
    actor = ckpt["agent"]["actor"]
    name = next(k for k, v in actor.items() if v.ndim == 2)
    actor[name] = torch.zeros(actor[name].shape[0], actor[name].shape[1] + 1)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@dataclass
class Row:
    case: Case
    code: int
    stderr: str
    created: list[str]
    changed: list[str]
    files: int

    @property
    def message(self) -> str:
        return self.stderr.strip()

    @property
    def nothing_lost(self) -> str:
        if self.created or self.changed:
            return f"created {self.created}, changed {self.changed}"
        return f"nothing created; all {self.files} workspace files byte-identical"


def run_case(case: Case, ws: dict[str, str], capsys) -> Row:
    root = Path(ws["root"])
    argv = shlex.split(f"{BASE} {case.args}".format(**ws, bomb=BOMB))
    before = snapshot(root)
    capsys.readouterr()
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        if case.private_store:
            mp.setenv("MINARI_DATASETS_PATH", ws["store"])
        try:
            code = main(["train", *argv])
        finally:
            torch.set_num_threads(threads)
    err = capsys.readouterr().err.replace(ws["root"], "<tmp>")
    after = snapshot(root)
    shutil.rmtree(Path(ws["runs"]) / "new", ignore_errors=True)  # keep the next case clean
    return Row(case, code, err, sorted(set(after) - set(before)),
               sorted(k for k in before if after.get(k) != before[k]), len(before))
