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


def test_demo_makes_the_embedded_default_on_first_use(capsys):
    from curatedrl.datasets import load
    from curatedrl.datasets.defaults import DEFAULT_DATASET

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert DEFAULT_DATASET in out and "strata90/95/98" in out
    ds = load(DEFAULT_DATASET)
    assert ds.num_episodes == 200 and ds.metadata.ref_max_score == 3234.3
    assert main(["demo"]) == 0  # second run reuses it
