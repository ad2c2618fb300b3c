"""Hyperparameter variants (a schedule's ``variants`` grid): canonical names, one cell per grid
point with its own run directory, results folder and cell identity, the ``variant`` field in
config.yaml and final.json, admission against the schedule, the loader and the leaderboard
(listed apart, never averaged); and the `sensitivity` and `baselines-100k` schedules' cells."""

from __future__ import annotations

import json
import re
import shlex
import warnings

import pytest

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.variants import check_variant, variant_name
from curatedrl.benchmarks.leaderboard.admission import config_drift, expected_config
from curatedrl.benchmarks.leaderboard.episodes import load_episodes
from curatedrl.benchmarks.leaderboard.reproduce import section_commands
from curatedrl.benchmarks.leaderboard.results import load_results
from curatedrl.benchmarks.leaderboard.sections import build_sections, suite_datasets
from curatedrl.benchmarks.leaderboard.variants import variant_lines
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule, variant_grid
from curatedrl.benchmarks.sweeps.sweep import Cell, expand, sweep
from curatedrl.datasets.ids import dataset_slug
from curatedrl.run.loop.train import train
from curatedrl.errors import CuratedRLError

from tests.leaderboard_runs import write_run

MR = [f"curatedrl/{env}/medium-replay-v0" for env in ("hopper", "halfcheetah", "walker2d")]
ME = [f"curatedrl/{env}/medium-expert-v0" for env in ("hopper", "halfcheetah", "walker2d")]


def test_variant_names_are_canonical_and_checked_against_the_config():
    assert variant_name({"temperature": 10.0, "lr": 4e-5}) == "lr=4e-05,temperature=10"
    assert variant_name({"percentiles": (80.0, 90.0, 95.0)}) == "percentiles=80+90+95"
    assert variant_name({"lr": 1.6e-4}) == "lr=0.00016"
    cfg = config_from_dict(ALGOS["iw_bc"].config_cls, {"lr": 1e-5, "temperature": 3})
    check_variant("lr=1e-05,temperature=3", cfg)
    for bad, match in (("lr=4e-05,temperature=3", "config has lr=1e-05"),
                       ("temperature=3,lr=1e-05", "canonical form"),
                       ("nope=1", "not a config field"),
                       ("lr=1e-05/../x", "key=value pairs"), ("", "key=value pairs")):
        with pytest.raises(CuratedRLError, match=match) as err:
            check_variant(bad, cfg)
        assert "\n" not in str(err.value)


def test_a_run_whose_variant_does_not_match_its_config_is_refused_before_writing(
        hopper_random_id, tmp_path):
    with pytest.raises(CuratedRLError, match="config has lr=0.001"):
        train("bc", hopper_random_id, 0, {"steps": 4}, tmp_path / "run", progress=False,
              variant="lr=0.002")
    assert not (tmp_path / "run").exists()


def test_the_sensitivity_schedule_expands_to_a_cell_per_variant():
    schedule = load_schedule("sensitivity")
    cells = expand("paper", 3, ["filtered_bc", "iw_bc"], MR, schedule)
    assert len(cells) == 2 * 3 * 9 * 3 and len({c.name for c in cells}) == len(cells)
    assert {c.variant for c in cells if c.algo == "iw_bc"} == {
        f"lr={lr},temperature={t}" for lr in ("1e-05", "4e-05", "0.00016") for t in (3, 10, 30)}
    assert "lr=4e-05,percentiles=90+95+98" in {c.variant for c in cells}
    c = next(c for c in cells if c.variant == "lr=0.00016,temperature=30")
    assert c.name == "iw_bc/hopper-medium-replay/lr=0.00016,temperature=30/seed0"
    # the centre of the grid is paper-sampled's cell exactly
    for algo, centre in (("iw_bc", "lr=4e-05,temperature=10"),
                         ("filtered_bc", "lr=4e-05,percentiles=90+95+98")):
        a = config_from_dict(ALGOS[algo].config_cls,
                             cell_overrides(algo, MR[0], schedule, variant=centre))
        b = config_from_dict(ALGOS[algo].config_cls,
                             cell_overrides(algo, MR[0], load_schedule("paper-sampled")))
        assert a == b
    with pytest.raises(CuratedRLError, match="declares no variant 'lr=1'"):
        cell_overrides("iw_bc", MR[0], schedule, variant="lr=1")


@pytest.mark.parametrize("variants, match", [
    ({"iw_bc": {"seed": [1, 2]}}, "'seed' is each cell's own"),
    ({"iw_bc": {"lr": []}}, "non-empty list"),
    ({"iw_bc": {"lr": 0.1}}, "non-empty list"),
    ({"iw_bc": [1]}, "mapping knob"),
    ({"iw_bc": {"lr": ["a/b"]}}, "key=value pairs"),
])
def test_a_bad_variants_grid_is_refused_in_one_line(variants, match, tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(json.dumps({"common": {}, "variants": variants}))
    with pytest.raises(CuratedRLError, match=match) as err:
        load_schedule(str(path))
    assert "\n" not in str(err.value) and str(path) in str(err.value)


TINY_FT = {"steps": 6, "eval_every": 3, "eval_episodes": 1, "final_eval_episodes": 2,
           "batch_size": 4, "ref_steps": 4, "ref_batch_size": 4, "warmup_steps": 2,
           "checkpoint_every": 3}


def test_a_variant_cell_runs_end_to_end_and_is_a_cell_of_its_own(hopper_random_id, tmp_path):
    schedule = {"name": "tinyvar", "common": TINY_FT, "per_algo": {},
                "variants": {"filtered_bc": {"lr": [1e-4, 4e-5]}}}
    cells = expand("paper", 1, ["filtered_bc"], [hopper_random_id], schedule)
    assert [c.variant for c in cells] == ["lr=0.0001", "lr=4e-05"]
    results = tmp_path / "results"
    out = sweep(cells[:1], schedule, tmp_path / "runs", results, progress=False)
    assert len(out["finished"]) == 1 and not out["failed"]
    folder = results / "tinyvar" / "minari" / cells[0].name
    assert folder.parts[-4:] == ("filtered_bc", "hopper-random", "lr=0.0001", "seed0")
    final = json.loads((folder / "final.json").read_text())
    assert final["variant"] == "lr=0.0001"
    assert "variant: lr=0.0001" in (folder / "config.yaml").read_text()
    assert len(load_episodes(folder)) == 1 + 2  # exported with its episodes
    # the other variant is another cell: not finished, and a dry run lists only it
    plan = sweep(cells, schedule, tmp_path / "runs-b", results, skip_exported=True,
                 dry_run=True)
    assert plan["todo"] == [cells[1]] and plan["exported"] == [cells[0]]
    again = sweep(cells[:1], schedule, tmp_path / "runs", results, progress=False)
    assert again["skipped"] == [cells[0]] and not again["finished"]
    # the default cell of the same algo x dataset x seed is a third cell
    plain = sweep([Cell("filtered_bc", hopper_random_id, 0)],
                  {**schedule, "variants": {}}, tmp_path / "runs", results, dry_run=True)
    assert len(plain["todo"]) == 1
    # the loader reads it as a variant run; the sections leave it out, variants.py lists it
    final["git_commit"] = "abc"  # as if from a clean tree (this test's tree may be modified)
    (folder / "final.json").write_text(json.dumps(final))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runs, skipped = load_results(results)
    assert [r.variant for r in runs] == ["lr=0.0001"] and not skipped
    assert runs[0].episodes == folder / "episodes.csv"
    [sec] = build_sections(results, tmp_path / "plots", draw=False, runs=runs)
    assert sec.runs == [] and sec.variant_runs == runs  # never averaged, there to choose among
    from curatedrl.benchmarks.leaderboard.tuning_view import build_tuning_view

    view = build_tuning_view(sec, tmp_path / "plots", draw=False)
    assert (view.runs, view.covered) == (1, 1) and list(view.curves) == [
        ("filtered_bc", hopper_random_id)]
    text = "\n".join(variant_lines(runs, results))
    assert "## Variants of schedule `tinyvar`" in text
    assert re.search(r"\| filtered\\?_bc \| test/hopper/random-v0 \| `lr=0\.0001` \| 1 \|", text)


def test_a_variant_folder_that_disagrees_with_its_final_json_is_skipped(tmp_path):
    results = tmp_path / "results"
    run = write_run(results, "iw_bc", 0, 50.0, MR[0], schedule="sensitivity",
                    final={"variant": "lr=4e-05,temperature=10"})
    variant_dir = run.parent / "lr=1e-05,temperature=10" / "seed0"  # the wrong folder
    variant_dir.parent.mkdir()
    run.rename(variant_dir)
    with pytest.warns(UserWarning, match="names variant 'lr=4e-05,temperature=10', its folders "
                                         "'lr=1e-05,temperature=10'"):
        runs, skipped = load_results(results)
    assert not runs and len(skipped) == 1
    other = write_run(results, "iw_bc", 1, 50.0, MR[0], schedule="sensitivity",
                      final={"variant": "lr=4e-05,temperature=10"}, config={})
    moved = other.parent / "lr=4e-05,temperature=10" / "seed1"  # its config.yaml has none
    moved.parent.mkdir(exist_ok=True)
    other.rename(moved)
    # every load warns once per file it skips: the first one's warning comes again
    with pytest.warns(UserWarning, match="it names variant None, its final.json "
                                         "'lr=4e-05,temperature=10'"), \
            pytest.warns(UserWarning, match="its folders 'lr=1e-05,temperature=10'"):
        runs, skipped = load_results(results)
    assert not runs and len(skipped) == 2
    plain = write_run(results, "bc", 0, 50.0, MR[0], schedule="cpu",
                      final={"variant": "lr=0.001"})  # a variant outside a variant folder
    with pytest.warns(UserWarning, match="outside a variant folder"), \
            pytest.warns(UserWarning, match="it names variant None"), \
            pytest.warns(UserWarning, match="its folders 'lr=1e-05,temperature=10'"):
        runs, skipped = load_results(results)
    assert not runs and {s.path for s in skipped} >= {plain}


def test_admission_accepts_the_schedules_variants_only():
    schedule = load_schedule("sensitivity")
    ok = expected_config("iw_bc", MR[1], 2, schedule, "lr=1e-05,temperature=30")
    ok.update(algo="iw_bc", git_commit="abc", threads=1)
    assert config_drift(ok, schedule) == []
    assert config_drift({**ok, "temperature": 31.0}, schedule)  # not what the variant says
    assert "not one of the schedule's variants" in \
        config_drift({**ok, "variant": "lr=1e-05,temperature=31"}, schedule)[0]
    plain = {k: v for k, v in ok.items() if k != "variant"}
    assert "only as its variants" in config_drift(plain, schedule)[0]


def test_the_baselines_100k_reproduce_line_selects_exactly_its_cells():
    """The line the leaderboard prints for the 27 runs of baselines-100k, run as a sweep,
    expands to exactly those cells (3 algorithms x 3 medium-expert datasets x 3 seeds)."""
    schedule = load_schedule("baselines-100k")
    for algo in ("td3_bc", "iql", "awac"):
        cfg = config_from_dict(ALGOS[algo].config_cls, cell_overrides(algo, ME[0], schedule))
        assert (cfg.steps, cfg.eval_every, cfg.eval_episodes, cfg.final_eval_episodes) == \
            (100_000, 10_000, 10, 100)
    assert variant_grid(schedule, "td3_bc") == {}

    class FakeRun:  # what section_commands reads of a run
        def __init__(self, algo, dataset, seed):
            self.algo, self.dataset, self.final = algo, dataset, {"seed": seed}

    runs = [FakeRun(a, d, s) for a in ("td3_bc", "iql", "awac") for d in ME for s in range(3)]
    line, = section_commands("baselines-100k", runs, suite_datasets(), "")
    make = dict(re.findall(r'(\w+)="?([^"]*?)"?(?= \w+=|$)', line.removeprefix("make reproduce ")))
    assert make["SCHEDULE"] == "baselines-100k" and make["SEEDS"] == "3"
    args = shlex.split(make["ARGS"])
    algos = [args[i + 1] for i, a in enumerate(args) if a == "--algo"]
    datasets = [args[i + 1] for i, a in enumerate(args) if a == "--dataset"]
    cells = expand(make["SUITE"], int(make["SEEDS"]), algos or None,
                   [d for d in suite_datasets() if dataset_slug(d) in datasets] or None,
                   schedule)
    assert {(c.algo, c.dataset, c.seed) for c in cells} == \
        {(r.algo, r.dataset, r.final["seed"]) for r in runs}
