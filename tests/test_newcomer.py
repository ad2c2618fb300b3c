"""What a new user meets first: `curatedrl --version`, help that describes every command and
shows every default, one meaning of --threads, and a demo table that says what its numbers
mean."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from curatedrl.cli import THREADS_HELP, build_parser, main

REPO = Path(__file__).resolve().parents[1]


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
    from curatedrl.benchmarks.suites.demo import DEMO_CONFIG, run_demo

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
    assert "What to conclude" in out and "iw_bc (12.0): expected about level" in out


# --- reproduce lines that reproduce -------------------------------------------------------------

def _make_reproduce_argv(line: str) -> list[str]:
    """``make reproduce VAR=... ARGS="..."`` as the `curatedrl sweep` arguments the Makefile
    gives (its defaults: WORKERS=1, BACKEND=local, DATA=curatedrl)."""
    import re
    import shlex

    make = (REPO / "Makefile").read_text()
    recipe = make[make.index("\nreproduce:"):].split("\n\n", 1)[0]
    assert "--suite $(SUITE) --seeds $(SEEDS) --schedule $(SCHEDULE)" in recipe and \
        "$(ARGS)" in recipe
    words = shlex.split(line)
    assert words[:2] == ["make", "reproduce"], line
    var = {"WORKERS": "1", "BACKEND": "local", "DATA": "curatedrl"}
    for w in words[2:]:
        key, _, value = w.partition("=")
        assert re.fullmatch(r"[A-Z0-9_]+", key), line
        var[key] = value
    argv = ["sweep", "--suite", var["SUITE"], "--seeds", var["SEEDS"], "--schedule",
            var["SCHEDULE"], "--workers", var["WORKERS"], "--backend", var["BACKEND"],
            "--data", var["DATA"]]
    if "ALGO" in var:
        argv += ["--algo", var["ALGO"]]
    return argv + shlex.split(var.get("ARGS", ""))


def _dry_run(argv, tmp_path, monkeypatch, capsys) -> str:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "empty-store"))  # manifest hashes
    monkeypatch.chdir(REPO)
    assert main(argv + ["--dry-run", "--root", str(tmp_path / "runs")]) == 0
    return capsys.readouterr().out


def test_every_reproduce_line_of_the_leaderboard_finds_all_its_cells_done(
        tmp_path, monkeypatch, capsys):
    """Each line's dry run lists every committed cell as done, except exactly the cells whose
    runs are on earlier data bytes (listed apart): those it reruns, saying why."""
    import re

    from curatedrl.benchmarks.leaderboard.sections import build_sections

    earlier = sum(len(s.earlier) for s in build_sections(REPO / "results", draw=False))
    text = (REPO / "LEADERBOARD.md").read_text()
    lines = re.findall(r"`(make reproduce [^`]*)`", text)
    assert len(lines) >= 4
    rerun = 0
    for line in lines:
        assert '--threads 1 --skip-exported' in line, line
        out = _dry_run(_make_reproduce_argv(line), tmp_path, monkeypatch, capsys)
        summary = out.splitlines()[0]
        cells, done, todo = map(int, re.search(
            r"sweep: (\d+) cells, 0 already finished, (\d+) already in results, (\d+) to run",
            summary).groups())
        assert cells == done + todo, (line, summary)
        would = [ln for ln in out.splitlines() if "would run" in ln]
        assert len(would) == todo and all("earlier generation of its data" in w
                                          for w in would), (line, would[:3])
        assert not todo or f"({todo} trained on an earlier generation of their data, rerun " \
            f"on the current bytes)" in out, (line, out[:600])
        rerun += todo
    assert rerun == earlier


def test_a_cell_with_fewer_seeds_gets_its_own_reproduce_line():
    """A sweep under way: filtered BC has seeds 0-3 on one dataset and 0-1 on another; one line
    with SEEDS=4 would ask for the two missing seeds as if the results held them."""
    from types import SimpleNamespace

    from curatedrl.benchmarks.leaderboard.reproduce import run_groups

    a, b = "curatedrl/hopper/medium-replay-v0", "curatedrl/walker2d/medium-replay-v0"
    runs = [SimpleNamespace(algo=algo, dataset=d, final={"seed": s})
            for algo, d, seeds in [("filtered_bc", a, 4), ("filtered_bc", b, 2), ("iw_bc", a, 2),
                                   ("iw_bc", b, 2)]
            for s in range(seeds)]
    assert run_groups(runs, [a, b]) == [(["filtered_bc"], [a], 4), (["filtered_bc"], [b], 2),
                                        (["iw_bc"], [a, b], 2)]


def test_k32_line_names_exactly_its_twenty_cells(tmp_path, monkeypatch, capsys):
    from curatedrl.benchmarks.leaderboard.sections import build_sections

    sec = next(s for s in build_sections(REPO / "results", draw=False)
               if s.schedule == "paper-sampled-k32")
    [line] = sec.commands()
    out = _dry_run(_make_reproduce_argv(line), tmp_path, monkeypatch, capsys)
    new = len(sec.runs)  # on the current bytes: done; the others rerun
    assert out.startswith(f"sweep: 20 cells, 0 already finished, {new} already in results, "
                          f"{20 - new} to run")
    runs = sec.cell_runs("iw_bc", "curatedrl/walker2d/medium-replay-v0") or \
        [r for r in sec.earlier if r.algo == "iw_bc"]
    cell = sec.command("iw_bc", runs[0].dataset)
    assert cell.startswith("curatedrl sweep ") and cell.endswith("--threads 1 --skip-exported")
    out = _dry_run(cell.split()[1:], tmp_path, monkeypatch, capsys)
    assert out.startswith("sweep: 5 cells, 0 already finished, ")


def test_dry_run_estimates_time_and_warns_before_replacing_committed_results(
        tmp_path, monkeypatch, capsys):
    argv = ["sweep", "--suite", "paper", "--seeds", "5", "--schedule", "paper-sampled-k32",
            "--algo", "iw_bc", "--threads", "1", "--dataset", "hopper-medium-replay"]
    out = _dry_run(argv + ["--dataset", "walker2d-medium-replay"], tmp_path, monkeypatch, capsys)
    assert "10 to run" in out
    assert "time estimate: " in out and " for 5 cells" in out and \
        "unknown for the other 5 cells" in out
    assert "WARNING: 5 of the 10 cells to run already have results in " \
           "results/paper-sampled-k32/curatedrl" in out and "REPLACES" in out
    out = _dry_run(argv, tmp_path, monkeypatch, capsys)
    assert "time estimate: unknown" in out and "WARNING" not in out


def test_site_cell_command_says_a_rerun_uses_the_manifests_data():
    from curatedrl.benchmarks.leaderboard.reproduce import RERUN_DATA

    page = (REPO / "docs" / "leaderboard" / "index.html").read_text()
    assert page.count("--threads 1 --skip-exported</code>") >= 20
    assert "manifest" in RERUN_DATA and "hash" in RERUN_DATA
    assert page.count(RERUN_DATA) == page.count("--threads 1 --skip-exported</code>")


# --- help that tells the truth ------------------------------------------------------------------

def _train_help() -> dict[str, str]:
    p = next(p for p in _parsers() if p.prog == "curatedrl train")
    fmt = p.formatter_class(p.prog)
    return {a.dest: " ".join(fmt._get_help_string(a).split()) for a in p._actions}


def test_train_help_gives_every_algorithms_resolved_default():
    import re

    from curatedrl.algos import ALGOS

    shown = _train_help()
    assert all(name in shown["algo"] for name in ALGOS)
    for dest in ("steps", "batch_size", "eval_every", "eval_episodes", "final_eval_episodes",
                 "device"):
        text = shown[dest]
        assert "default: the algorithm's config:" in text, (dest, text)
        values = {str(getattr(cls.config_cls(), dest)) for cls in ALGOS.values()}
        if len(values) == 1:
            assert f"{values.pop()} for every algorithm" in text.replace(",", "")
            continue
        said = {}  # "a, b 500; c 5,000 ...": each algorithm's value as the help says it
        for group in text.split("the algorithm's config: ", 1)[1].split("; "):
            m = re.match(r"([a-z0-9_]+(?:, [a-z0-9_]+)*) ([0-9,]+|[a-z]+)", group)
            if m:
                said.update(dict.fromkeys(m.group(1).split(", "), m.group(2)))
        for name, cls in ALGOS.items():
            assert said.get(name) == f"{getattr(cls.config_cls(), dest):,}", (dest, name, text)
    assert "td3_bc, iql, cql, awac, rebrac 5,000" in shown["eval_every"]
    assert "bc 128 episodes" in shown["batch_size"] and "rebrac 1,024 transitions" in \
        shown["batch_size"]
    assert "default: none" not in shown["env"] and "default: none" not in shown["batch_size"]


# --- mistyped dataset ids -----------------------------------------------------------------------

@pytest.mark.parametrize("typo, meant, command", [
    ("curatedrl/hopper/mediumreplay-v0", "curatedrl/hopper/medium-replay-v0",
     "curatedrl datasets generate --env hopper --tier medium-replay`"),
    ("curatedrl/hoper/medium-small-v0", "curatedrl/hopper/medium-small-v0",
     "curatedrl datasets generate --env hopper --tier medium --size small`"),
    ("curatedrl/ant/medium-v0", None, "the suite's envs are hopper, halfcheetah, walker2d"),
])
def test_mistyped_suite_id_gets_a_did_you_mean_and_one_generate_command(typo, meant, command,
                                                                        capsys):
    assert main(["train", "--algo", "bc", "--dataset", typo]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and command in err, err
    if meant:
        assert f"did you mean {meant!r}?" in err
    assert "minari download" not in err and "make datasets" not in err


# --- the demo -----------------------------------------------------------------------------------

DEV_ONLY = ("jax", "ray", "selenium", "matplotlib", "rliable", "pandas", "hypothesis", "flake8",
            "pytest")  # setup.cfg's dev extra: `make demo` installs the package without it


def test_demo_path_needs_no_dev_extra_and_dataset_generation_shows_progress(tmp_path):
    import os
    import subprocess
    import sys

    code = f"""
import sys
import curatedrl.benchmarks.suites.demo
from curatedrl.datasets.suite import generate_env
generate_env('hopper', size='tiny', tiers=('medium-replay',), progress=True)
from curatedrl.cli import main
code = main(['train', '--algo', 'iw_bc', '--dataset', 'curatedrl/hopper/medium-replay-tiny-v0',
             '--out', {str(tmp_path / 'run')!r}, '--steps', '2', '--set', 'ref_steps=2',
             '--eval-every', '0', '--final-eval-episodes', '1', '--threads', '1'])
dev = sorted({{m.split('.')[0] for m in sys.modules}} & set({DEV_ONLY!r}))
print('dev-extra modules imported:', dev)
sys.exit(code)
"""
    env = {**os.environ, "MINARI_DATASETS_PATH": str(tmp_path / "store"),
           "CURATEDRL_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert any("reference returns from" in ln for ln in lines)
    steps = [ln for ln in lines if "medium-replay: behaviour checkpoint" in ln]
    assert len(steps) >= 5, done.stdout  # periodic lines, not one line and then silence
    assert "iw_bc on curatedrl/hopper/medium-replay-tiny-v0 (seed 0): normalised score" in \
        done.stdout
    assert "dev-extra modules imported: []" in lines  # the demo's path runs on a base install


def test_make_demo_installs_the_package_without_extras_and_passes_threads():
    make = (REPO / "Makefile").read_text()
    stamp = make[make.index("\n$(BASE_STAMP):"):].split("\n\n", 1)[0]
    assert '-e .\n' in stamp and "[dev]" not in stamp
    dev = make[make.index("\n$(STAMP):"):].split("\n\n", 1)[0]
    assert "$(BASE_STAMP)" in dev.splitlines()[1] and '-e ".[dev]"' in dev
    demo = make[make.index("\ndemo:"):].split("\n\n", 1)[0]
    assert demo.startswith("\ndemo: $(BASE_STAMP)") and "--threads $(THREADS)" in demo
    assert make[make.index("\ntest:"):].splitlines()[1].startswith("test: $(STAMP)")


def test_demo_says_what_to_conclude():
    from curatedrl.benchmarks.suites.demo import conclusion

    text = conclusion({"bc": 0.4, "filtered_bc": 31.2, "iw_bc": 29.8},
                      "curatedrl/hopper/medium-replay-v0")
    assert "bc (0.4): near 0 is expected on medium-replay at this budget" in text
    assert "iw_bc (29.8): expected about level with filtered_bc" in text
    assert "near 0" not in conclusion({"bc": 50.0}, "curatedrl/hopper/medium-v0")


# --- docs ---------------------------------------------------------------------------------------

def test_readme_contributing_and_site_agree_on_the_two_registry_lines():
    init = (REPO / "algos" / "__init__.py").read_text()
    assert "from curatedrl.algos.bc import BC" in init and '"bc": BC,' in init  # two lines each
    for path in ("README.md", "CONTRIBUTING.md", "docs/leaderboard/index.html"):
        text = " ".join((REPO / path).read_text().split())
        assert "two lines in" in text and "one line in" not in text, path
    contributing = " ".join((REPO / "CONTRIBUTING.md").read_text().split())
    assert "steps 2 and 3 taken together" in contributing
    assert "test_every_config_resolves_for_every_cell_of_every_schedule" in contributing
