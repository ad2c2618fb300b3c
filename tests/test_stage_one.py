"""The `bc` cell is stage 1: it replays the cached stage-1 run of the two-stage cells (same seed
and stage-1 settings, same cache entry) with its own evaluation curve; iw-BC's log π_ref of every
row is cached beside π_ref. And the `paper-sampled` schedule: the paper's step counts."""

import torch
from safetensors.torch import load_file

from curatedrl.algos import ALGOS, config_from_dict
from curatedrl.algos.bc import BCConfig, replays_stage_one
from curatedrl.algos.filtered_bc import reference_config
from curatedrl.run.loop import reference
from curatedrl.benchmarks.suites.cell_config import cell_overrides, load_schedule
from curatedrl.run.records.rundir import read_csv
from curatedrl.run.loop.train import train
from curatedrl.datasets import load

SNAP = reference.SNAPSHOT_EVERY
STAGE1 = {"ref_steps": 2 * SNAP, "ref_batch_size": 4, "ref_lr": 1e-3, "steps_per_episode": 2}
TWO_STAGE = {**STAGE1, "steps": 4, "batch_size": 4, "warmup_steps": 1, "eval_every": 0,
             "final_eval_episodes": 2}
BC = {"steps": 2 * SNAP, "batch_size": 4, "lr": 1e-3, "steps_per_episode": 2,
      "eval_every": SNAP, "eval_episodes": 2, "final_eval_episodes": 2}


def test_bc_cell_replays_the_stage_one_of_the_two_stage_cells(hopper_random_id, tmp_path):
    iw = train("iw_bc", hopper_random_id, 11, TWO_STAGE, tmp_path / "iw", progress=False)
    assert not iw["reference_cached"]
    key = iw["reference_key"]
    logp = load_file(str(reference.CACHE_DIR / f"{key}.logp.safetensors"))["log_prob"]
    assert len(logp) == load(hopper_random_id).num_steps
    bc = train("bc", hopper_random_id, 11, BC, tmp_path / "bc", progress=False)
    assert bc["reference_cached"] and bc["reference_key"] == key  # not trained again
    assert [int(r["step"]) for r in read_csv(tmp_path / "bc" / "eval.csv")] == [SNAP, 2 * SNAP]
    ckpt = torch.load(tmp_path / "bc" / "checkpoint.pt", weights_only=True)
    ref = load_file(str(reference.CACHE_DIR / f"{key}.safetensors"))
    for name, value in ref.items():  # the bc cell's policy is π_ref
        torch.testing.assert_close(ckpt["actor"][name], value, rtol=0, atol=0)
    losses = [float(r["train/loss"]) for r in read_csv(tmp_path / "bc" / "metrics.csv")]
    recorded = load_file(str(reference.CACHE_DIR / f"{key}.steps.safetensors"))["loss"]
    assert losses[0] == float(recorded[9])  # the stage-1 loss at step 10
    fbc = train("filtered_bc", hopper_random_id, 11, TWO_STAGE, tmp_path / "fbc", progress=False)
    assert fbc["reference_cached"] and fbc["reference_key"] == key


def test_bc_cell_first_trains_the_entry_the_two_stage_cells_reuse(hopper_random_id, tmp_path):
    bc = train("bc", hopper_random_id, 12, BC, tmp_path / "bc", progress=False)
    assert not bc["reference_cached"]
    sft = train("sft_q", hopper_random_id, 12, TWO_STAGE, tmp_path / "sft", progress=False)
    assert sft["reference_cached"] and sft["reference_key"] == bc["reference_key"]


def test_bc_at_other_evaluation_steps_trains_itself(hopper_random_id, tmp_path):
    final = train("bc", hopper_random_id, 13, {**BC, "steps": 30, "eval_every": 7},
                  tmp_path / "bc", progress=False)
    assert "reference_key" not in final


def test_paper_sampled_schedule_has_the_papers_step_counts_and_shares_stage_one():
    schedule = load_schedule("paper-sampled")
    ds_id = "curatedrl/hopper/medium-replay-v0"
    bc = config_from_dict(BCConfig, cell_overrides("bc", ds_id, schedule))
    assert (bc.steps, bc.batch_size, bc.lr, bc.eval_every, bc.final_eval_episodes) == \
        (10_000, 128, 1e-3, 500, 100)
    assert replays_stage_one(bc, SNAP)
    for algo in ("filtered_bc", "iw_bc", "sft_q", "iw_bc_q"):
        cfg = config_from_dict(ALGOS[algo].config_cls, cell_overrides(algo, ds_id, schedule))
        assert (cfg.steps, cfg.batch_size, cfg.lr, cfg.warmup_steps, cfg.eval_every,
                cfg.eval_episodes, cfg.final_eval_episodes) == (2000, 256, 4e-5, 300, 500, 10, 100)
        assert reference_config(cfg) == \
            BCConfig(**{**bc.__dict__, "eval_every": 500, "eval_episodes": 10,
                        "final_eval_episodes": 100, "checkpoint_every": 1000,
                        "deterministic": False}), algo
