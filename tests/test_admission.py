"""Results tied to their data and code: the leaderboard never averages runs made on other
dataset bytes, from a modified tree or beyond their schedule, and export refuses to put such
runs into a schedule's tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curatedrl.benchmarks.leaderboard.admission import expected_config
from curatedrl.benchmarks.suites.cell_config import load_schedule
from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.sweeps.sweep import Cell, export, sweep
from curatedrl.datasets.manifest import earlier_hashes, expected_hash
from curatedrl.errors import CuratedRLError
from tests.leaderboard_runs import DS, write_run

D4RL = "/data/d4rl/hopper-medium-v2.hdf5"


def _config(algo: str, seed: int, dataset: str = DS, commit: str = "abc", **changes) -> dict:
    cfg = expected_config(algo, dataset, seed, load_schedule("cpu"))
    return {"algo": algo, "dataset_hash": "h0", "git_commit": commit, **cfg, **changes}


def _row(text: str, label: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_runs_off_the_manifest_dirty_or_beyond_the_schedule_are_listed_not_averaged(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"datasets": {DS: {"content_hash": "h0"}}}))
    r = tmp_path / "r"
    for seed in range(3):  # the good runs
        write_run(r, "bc", seed, 10.0 + seed, config=_config("bc", seed), dataset_hash="h0")
    other_bytes = write_run(r, "bc", 3, 90.0, dataset_hash="h1", config=_config("bc", 3))
    dirty = write_run(r, "bc", 4, 90.0, commit="abc-dirty", config=_config("bc", 4),
                      dataset_hash="h0")
    short = write_run(r, "bc", 5, 90.0, config=_config("bc", 5, steps=50), dataset_hash="h0")
    # data the manifest does not know: the hash most runs used wins, the other is listed
    for seed in range(2):
        write_run(r, "bc", seed, 30.0, dataset=D4RL, dataset_hash="d0", source="d4rl")
    odd = write_run(r, "bc", 2, 90.0, dataset=D4RL, dataset_hash="d1", source="d4rl")
    text = build(r, tmp_path / "LB.md", tmp_path / "plots", draw=False,
                 expected_hash=lambda d: expected_hash(d, manifest))
    ours, d4rl = text.split("## Schedule `cpu`, data `d4rl`")
    header = _row(ours, "dataset")
    assert _row(ours, "hopper-medium")[header.index("bc")] == "11.0 ± 1.0 (3)"
    assert _row(d4rl, "hopper-medium")[header.index("bc")] == "30.0 ± 0.0 (2)"
    bullets = []
    for part in (ours, d4rl):
        listed = part.split("### Runs kept out of these tables")[1].split("###")[0]
        bullets += [ln for ln in listed.splitlines() if ln.startswith("- ")]
    assert len(bullets) == 4
    for path, why in [(other_bytes, "is not the manifest's h0"), (dirty, "-dirty"),
                      (short, "steps: 50 -> 1000"), (odd, "differs from d0")]:
        shown = path.relative_to(tmp_path).as_posix()  # results/... whatever the tree's place
        assert any(f"`{shown}`" in b and why in b for b in bullets), (shown, bullets)


def test_runs_on_an_earlier_generation_of_the_data_are_listed_apart_never_averaged(tmp_path):
    """The manifest's earlier_hashes: same dataset, older bytes. Such runs leave every averaged
    table (listed apart under one reason, counted in the section's data line); only the run on
    the current bytes is averaged. A hash that is neither current nor earlier is listed apart
    under its own reason."""
    from curatedrl.benchmarks.leaderboard.admission import EARLIER_BYTES

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"datasets": {DS: {"content_hash": "h2",
                                                      "earlier_hashes": ["h1"]}}}))
    r = tmp_path / "r"
    old = [write_run(r, "bc", seed, 10.0 + seed, config=_config("bc", seed), dataset_hash=h)
           for seed, h in enumerate(["h2", "h1", "h1"])][1:]
    stray = write_run(r, "bc", 3, 90.0, config=_config("bc", 3), dataset_hash="h0")
    text = build(r, tmp_path / "LB.md", tmp_path / "plots", draw=False,
                 expected_hash=lambda d: expected_hash(d, manifest),
                 earlier_hashes=lambda d: earlier_hashes(d, manifest))
    assert _row(text, "hopper-medium")[_row(text, "dataset").index("bc")] == "10.0 (1)"
    line = next(ln for ln in text.splitlines() if ln.startswith("- data: "))
    assert line.startswith("- data: 2 runs of this section were trained on an earlier generation")
    listed = text.split("### Runs kept out of these tables")[1]
    folder = old[0].parent.relative_to(tmp_path).as_posix()
    assert f"- **2 runs**: {EARLIER_BYTES} — `{folder}/` seed1, seed2" in listed
    assert f"- **1 run**: dataset hash h0 is not the manifest's h2 — " \
           f"`{stray.relative_to(tmp_path).as_posix()}`" in listed
    no_earlier = build(r, tmp_path / "LB2.md", tmp_path / "plots", draw=False,
                       expected_hash=lambda d: expected_hash(d, manifest),
                       earlier_hashes=lambda d: [])
    assert "earlier generation" not in no_earlier
    assert _row(no_earlier, "hopper-medium")[_row(text, "dataset").index("bc")] == "10.0 (1)"


def _finished_run(path: Path, **changes) -> Path:
    path.mkdir(parents=True)
    cfg = _config("bc", 0, **changes)
    from curatedrl.run.records.rundir import write_csv, write_yaml

    write_yaml(path / "config.yaml", cfg)
    write_csv(path / "eval.csv", [{"step": 1000, "normalized_mean": 1.0}])
    (path / "final.json").write_text(json.dumps({"status": "finished", "algo": "bc"}))
    return path


@pytest.mark.parametrize("changes,why", [({"steps": 50}, "steps: 50 -> 1000"),
                                         ({"commit": "abc-dirty"}, "modified tree")])
def test_export_refuses_runs_beyond_the_schedule_with_a_one_line_message(tmp_path, changes,
                                                                         why):
    run = _finished_run(tmp_path / "run", **changes)
    dest = tmp_path / "results" / "cpu" / "curatedrl" / "bc" / "hopper-medium" / "seed0"
    with pytest.raises(CuratedRLError, match="--export-as NAME") as err:
        export(run, dest, "cpu")
    assert why in str(err.value) and "\n" not in str(err.value)
    assert not dest.exists()
    export(run, tmp_path / "results" / "cpu-short" / "x")  # under a name of its own: exported
    assert (tmp_path / "results" / "cpu-short" / "x" / "final.json").exists()
    export(_finished_run(tmp_path / "good"), dest, "cpu")  # the schedule's own config: fine
    assert (dest / "final.json").exists()


def test_sweep_refuses_set_beyond_a_registered_schedule_and_exports_as_asked(
        tmp_path, hopper_random_id):
    cpu = load_schedule("cpu")
    with pytest.raises(CuratedRLError, match="--set steps goes beyond schedule cpu.*--export-as"):
        sweep([Cell("bc", DS, 0)], cpu, tmp_path / "runs", tmp_path / "results",
              extra={"steps": 50})
    assert not (tmp_path / "runs").exists()
    # with --export-as the same overrides run, and land under that name only
    cell = Cell("bc", hopper_random_id, 0)
    out = sweep([cell], cpu, tmp_path / "runs", tmp_path / "results", progress=False,
                extra={"steps": 20, "eval_every": 10, "final_eval_episodes": 2,
                       "eval_episodes": 2, "checkpoint_every": 10},
                export_as="cpu-20steps", threads=1)
    assert out["refused"] == [] and out["failed"] == []
    # test/... is a Minari id outside curatedrl/: Minari data, never in the project's section
    assert (tmp_path / "results" / "cpu-20steps" / "minari" / cell.name / "final.json").exists()
    assert not (tmp_path / "results" / "cpu").exists()
