"""What a new user meets first: `curatedrl --version`, help that describes every command and
shows every default, one meaning of --threads, and a demo table that says what its numbers
mean."""

from __future__ import annotations

import argparse
import json

import pytest
import yaml

from curatedrl.cli import THREADS_HELP, build_parser, main


def _parsers():
    stack = [build_parser()]
    while stack:
        p = stack.pop()
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.split()
    assert out[0] == "curatedrl" and len(out) >= 2


def test_every_command_is_described_and_every_option_shows_its_default():
    for p in _parsers():
        assert p.description, f"{p.prog} has no description"
        for action in p._actions:
            if not action.option_strings or action.dest in ("help", "version") or \
                    action.required:
                continue
            shown = p.formatter_class(p.prog)._get_help_string(action)  # as --help prints it
            assert "default" in shown, f"{p.prog} {action.option_strings[0]}: {shown}"
        p.format_help()  # every help string formats


def test_threads_means_the_same_in_every_command():
    seen = {}
    for p in _parsers():
        for action in p._actions:
            if "--threads" in action.option_strings:
                seen[p.prog] = action.help
    assert {"curatedrl train", "curatedrl sweep", "curatedrl demo", "curatedrl bench"} <= \
        set(seen)
    assert set(seen.values()) == {THREADS_HELP}


def test_demo_table_explains_scores_and_marks_reused_runs(hopper_random_id, tmp_path, capsys):
    from curatedrl.experiments.demo import DEMO_CONFIG, run_demo

    spec = yaml.safe_load(DEMO_CONFIG.read_text())
    spec["dataset"] = hopper_random_id
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump(spec))
    for algo in spec["algos"]:  # finished runs: the demo reuses them, nothing is trained
        run = tmp_path / "runs" / algo / "seed0"
        run.mkdir(parents=True)
        (run / "final.json").write_text(json.dumps({
            "algo": algo, "normalized_score_last": 12.0, "normalized_score_best": 15.0,
            "return_last": 350.0, "wall_time_s": 30.0}))
    run_demo(tmp_path / "runs", config)
    out = capsys.readouterr().out
    rows = [ln.split() for ln in out.splitlines() if ln.split()[:1] in ([a] for a in spec["algos"])]
    assert len(rows) == 3 and all(r[-1] == "reused" for r in rows)
    assert "0 is the dataset's reference return of a random policy (-20.0)" in out
    assert "100 that of an expert (3000.0)" in out
    assert "takes hours" in out and ".venv/bin/curatedrl" in out
