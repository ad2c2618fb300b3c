"""The demo a new user runs first: a table that says what its scores mean and marks reused runs,
a path that needs no dev extra and shows progress while it generates data, `make demo`'s base
install and --threads, and a conclusion in words."""

from __future__ import annotations

import json

import yaml

from tests.conftest import REPO


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
