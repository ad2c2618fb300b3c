"""The registered experiment's descriptive figures (``registered_view.py``), after its claims in
LEADERBOARD.md and on the site: iw-BC's weight ESS per dataset from the runs' train_metrics.csv,
and what k = 8 changes, each whole-episode run against the ``paper-sampled`` run of its
algorithm, dataset and seed on the same π_ref (equal final.json ``reference_key``), averaged runs
only on both sides; one line instead of a table where a figure has no data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from curatedrl.benchmarks.leaderboard.leaderboard import build
from curatedrl.benchmarks.leaderboard.same_reference import pair_runs
from curatedrl.benchmarks.leaderboard.weight_ess import run_ess
from curatedrl.datasets.manifest import earlier_hashes
from tests.leaderboard_runs import write_run

HMR, CMR = "curatedrl/hopper/medium-replay-v0", "curatedrl/halfcheetah/medium-replay-v0"
WHOLE, K8 = "paper-whole-ft", "paper-sampled"


def _build(root: Path, tmp_path: Path) -> tuple[str, str]:
    """The paper-whole-ft section of LEADERBOARD.md, and the site page."""
    text = build(root, tmp_path / "LB.md", tmp_path / "site", draw=False, site=True)
    start = text.index(f"## Schedule `{WHOLE}`")
    end = text.index("## Schedule", start + 1) if "## Schedule" in text[start + 1:] else None
    return text[start:end], (tmp_path / "site" / "index.html").read_text()


def _summary(run: Path, ess: list[float | None]) -> None:
    rows = ["step,train/loss,train/weight_ess,time/elapsed_s"]
    rows += [f"{500 * (i + 1)},0.5,{'' if e is None else e},{i}.0" for i, e in enumerate(ess)]
    (run / "train_metrics.csv").write_text("\r\n".join(rows) + "\r\n")


def test_the_weight_ess_per_dataset_comes_from_the_training_summaries(tmp_path):
    root = tmp_path / "r"
    for seed in range(3):
        write_run(root, "filtered_bc", seed, 30.0, dataset=HMR, schedule=WHOLE)
        iw = write_run(root, "iw_bc", seed, 31.0, dataset=HMR, schedule=WHOLE)
        if seed < 2:
            _summary(iw, [0.5, 0.3] if seed == 0 else [0.7, 0.1])
    write_run(root, "iw_bc", 0, 31.0, dataset=CMR, schedule=WHOLE)  # no summary
    section, page = _build(root, tmp_path)
    assert "| hopper-medium-replay | 2 of 3 runs record it | 0.200 | 0.100 | 0.400 |" in section
    assert "| halfcheetah-medium-replay | 0 of 1 runs record it | — | — | — |" in section
    order = [section.index(h) for h in ("### Claims, paired by seed", "### Descriptive, beside",
                                        "Importance-weight ESS of iw_bc (", "### Compute per")]
    assert order == sorted(order)
    assert "2 of 3 runs record it" in page and "<td data-sort=\"0.200000\">0.200</td>" in page
    assert "no claim is read from them" in section and "no claim is read from them" in page


def test_without_any_summary_the_ess_is_one_line_and_no_table(tmp_path):
    root = tmp_path / "r"
    write_run(root, "iw_bc", 0, 31.0, dataset=HMR, schedule=WHOLE)
    write_run(root, "iw_bc", 1, 31.0, dataset=HMR, schedule=WHOLE)
    section, page = _build(root, tmp_path)
    line = "Importance-weight ESS of iw_bc: no run of this section records it yet (0 of 2 runs"
    assert line in section and line in page and "| dataset | runs | last step" not in section
    assert "Importance-weight ESS of iw_bc (" not in page


def test_a_run_whose_last_row_has_no_ess_does_not_record_it():
    assert run_ess([{"step": 10, "train/weight_ess": 0.5}, {"step": 20}]) is None
    assert run_ess([{"step": 10}, {"step": 20, "train/weight_ess": 0.5}]) == (0.5, 0.5)
    assert run_ess(None) is None


STAGE_ONE = {"ref_steps": 10000, "ref_batch_size": 128, "ref_lr": 1e-3, "device": "cpu",
             "threads": 1}
WHOLE_CONFIG = {**STAGE_ONE, "ref_steps_per_episode": 8, "steps_per_episode": 0}
K8_CONFIG = {**STAGE_ONE, "ref_steps_per_episode": None, "steps_per_episode": 8}  # as the
# schedules record it: paper-sampled's stage 1 takes the fine-tuning's k


def _pair(root: Path, algo: str, seed: int, whole: float, k8: float, key: str,
          k8_stage_one: dict | None = None, k8_hash: str | None = None) -> None:
    """A whole-episode run and a k = 8 run of one seed; the k = 8 run's reference key is
    another string (the key format changed between commits), its stage-1 inputs the same
    unless ``k8_stage_one`` changes them."""
    write_run(root, algo, seed, whole, dataset=HMR, schedule=WHOLE, config=WHOLE_CONFIG,
              final={"reference_key": key, "reference_cached": True})
    write_run(root, algo, seed, k8, dataset=HMR, schedule=K8, dataset_hash=k8_hash,
              config={**K8_CONFIG, **(k8_stage_one or {})},
              final={"reference_key": key + "-later-format", "reference_cached": True})


def test_runs_on_the_same_reference_are_paired_and_others_are_counted(tmp_path):
    root = tmp_path / "r"
    for seed, k8 in enumerate((28.0, 30.0, 29.0)):  # whole − k8: 2, 1, 3
        _pair(root, "filtered_bc", seed, 30.0 + seed, k8, f"key{seed}")
    _pair(root, "iw_bc", 0, 35.0, 31.5, "key0")  # +3.5, one pair
    _pair(root, "iw_bc", 1, 35.0, 20.0, "key1",  # another π_ref: not paired
          k8_stage_one={"threads": 2})
    _pair(root, "iw_bc", 2, 35.0, 20.0, "key2",  # k = 8 run on earlier bytes: not averaged
          k8_hash=earlier_hashes(HMR)[0])
    section, page = _build(root, tmp_path)
    # d̄ = 2, s = 1, t(0.975, 2) = 4.303: 2 ± 4.303 / √3 = [-0.5, +4.5]
    assert "| hopper-medium-replay | filtered_bc | 3 | +2.0 [-0.5, +4.5] |" in section
    assert "| hopper-medium-replay | iw_bc | 1 | +3.5 (one pair: no interval) |" in section
    note = ("1 run with a paper-sampled run of the same algorithm, dataset and seed is not "
            "paired: the stage-1 inputs differ (another π")
    assert note in section.replace("\\_", "_") and note in page
    assert "What k = 8 changes: each run here paired" in page and "+2.0 [-0.5, +4.5]" in page
    assert "no pairs yet" not in section


def test_without_pairs_the_comparison_is_one_line(tmp_path):
    root = tmp_path / "r"
    _pair(root, "iw_bc", 0, 35.0, 31.5, "key0", k8_hash=earlier_hashes(HMR)[0])
    section, page = _build(root, tmp_path)
    line = ("What k = 8 changes (paper-whole-ft − paper-sampled on the same π_ref): no pairs "
            "yet, as no paper-sampled run of filtered_bc or iw_bc on these datasets is averaged in "
            "its section")
    assert line in section.replace("\\_", "_") and line in page
    assert "| dataset | algorithm | pairs |" not in section
    _pair(root, "filtered_bc", 0, 35.0, 31.5, "key0", k8_stage_one={"threads": 2})
    section, _ = _build(root, tmp_path)
    assert "none of the 1 averaged paper-sampled runs" in section
    assert "1 run with a paper-sampled run" in section


def test_pairing_needs_equal_stage_one_inputs_on_both_sides():
    def run(seed, score, key, **config):
        final = {"seed": seed, "normalized_score_last": score, "dataset_hash": "h"}
        return SimpleNamespace(algo="iw_bc", dataset=HMR, config={**K8_CONFIG, **config},
                               final={**final, **({} if key is None else {"reference_key": key})})

    whole = [run(0, 10.0, "a"), run(1, 10.0, None), run(2, 10.0, "c"), run(3, 10.0, ["c"]),
             run(4, 10.0, "e")]
    k8 = [run(0, 4.0, "a2"), run(1, 4.0, None), run(2, 4.0, "c", steps_per_episode=32),
          run(3, 4.0, ["c"]), run(4, 4.0, "e", threads=2)]
    out = pair_runs(whole, k8, ("iw_bc",), (HMR,))
    assert out.unequal == 4 and out.others == 5
    assert [(r.pairs, r.mean) for r in out.rows] == [(1, 6.0)]
    no_config = SimpleNamespace(algo="iw_bc", dataset=HMR, config=None,
                                final={"seed": 0, "normalized_score_last": 1.0,
                                       "reference_key": "a", "dataset_hash": "h"})
    assert pair_runs([no_config], k8, ("iw_bc",), (HMR,)).rows == []
