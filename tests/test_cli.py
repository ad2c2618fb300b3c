"""The ``curatedrl`` command as a user meets it."""

import subprocess
import sys

import pytest

from curatedrl.cli import build_parser, main


def test_datasets_show_prints_the_summary(hopper_random_id, capsys):
    assert main(["datasets", "show", hopper_random_id]) == 0
    out = capsys.readouterr().out
    for field in ("episodes", "40", "steps", "return_mean", "return_std", "return_min",
                  "return_max", "ref_min_score", "-20.00", "ref_max_score", "3000.00",
                  "eval_env", "Hopper-v5"):
        assert field in out


def test_datasets_show_views_names_each_algorithms_view(hopper_random_id, capsys):
    assert main(["datasets", "show", hopper_random_id, "--views"]) == 0
    out = capsys.readouterr().out
    for field in ("strata90/95/98", "quality", "filtered_bc, iw_bc", "sft_q, iw_bc_q",
                  "mean return of a draw", "draws with return >= mid-range"):
        assert field in out


def test_datasets_list(hopper_random_id, minari_store, capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert minari_store in out and hopper_random_id in out


@pytest.mark.parametrize("arg,message", [
    ("../../etc/passwd-v0", "malformed dataset id"),
    ("ghost/walker-v3", "is not stored locally"),
    ("/nonexistent/hopper.hdf5", "does not exist"),
])
def test_bad_input_is_one_line_without_traceback(arg, message, minari_store):
    proc = subprocess.run([sys.executable, "-m", "curatedrl.cli", "datasets", "show", arg],
                          capture_output=True, text=True,
                          env={"MINARI_DATASETS_PATH": minari_store, "PATH": ""})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("curatedrl: error:") and message in lines[0]
    assert "Traceback" not in proc.stderr


def test_every_option_has_help():
    parser = build_parser()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if action.dest != "help" and not action.help and not action.choices:
                raise AssertionError(f"{p.prog}: option {action.dest} has no help")
            if action.choices and hasattr(action.choices, "values"):
                stack.extend(action.choices.values())


def test_demo_trains_the_bc_family_and_prints_scores(hopper_random_id, tmp_path, capsys):
    import yaml

    from curatedrl.benchmarks.suites.demo import DEMO_CONFIG, run_demo

    spec = yaml.safe_load(DEMO_CONFIG.read_text())
    assert spec["algos"] == ["bc", "filtered_bc", "iw_bc"]
    spec["dataset"] = hopper_random_id
    spec["common"] = {**spec["common"], "eval_every": 0, "final_eval_episodes": 2}
    two_stage = {"ref_steps": 3, "warmup_steps": 1}
    spec["per_algo"] = {a: {"steps": 4, "batch_size": 4, **(two_stage if a != "bc" else {})}
                        for a in spec["algos"]}
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump(spec))
    results = run_demo(tmp_path / "runs", config)
    out = capsys.readouterr().out
    assert [r["algo"] for r in results] == ["bc", "filtered_bc", "iw_bc"]
    for algo in ("bc", "filtered_bc", "iw_bc"):
        assert f"curatedrl train --algo {algo} --dataset {hopper_random_id}" in out
    assert "score_last" in out
    run_demo(tmp_path / "runs", config)  # finished runs are reused, not trained again
    assert "reusing the finished run" in capsys.readouterr().out


def test_default_dataset_must_be_a_suite_id():
    from curatedrl.datasets.on_demand import ensure_default_dataset
    from curatedrl.errors import CuratedRLError

    with pytest.raises(CuratedRLError, match="not one of the suite's datasets"):
        ensure_default_dataset("someone/else-v0")


def test_the_same_train_command_again_prints_the_finished_result_and_exits_0(
        hopper_random_id, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--algo", "bc", "--dataset", hopper_random_id, "--out", str(out),
            "--steps", "3", "--batch-size", "4", "--eval-every", "0",
            "--final-eval-episodes", "2", "--threads", "1"]
    assert main(argv) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert not (out / ".lock").exists()  # a finished run directory keeps no lock file
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(argv[:-1] + ["2"]) == 0  # another thread count: the same cell
    again = capsys.readouterr().out.strip().splitlines()[-1]
    assert again.startswith(first) and "finished before: nothing trained" in again
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(argv + ["--set", "lr=0.01"]) == 2
    assert "already holds a finished run with another config (lr: 0.001 -> 0.01)" in \
        capsys.readouterr().err
