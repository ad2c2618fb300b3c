"""`python -m curatedrl.benchmarks.speed.weight_profile`: a finished iw-BC run's final weights,
checked against a plain per-episode loop, and what they do to the view's draws."""

import numpy as np
import pytest
import torch

from curatedrl.algos import ALGOS
from curatedrl.benchmarks.speed.weight_profile import episode_weights_of_run, main, profile
from curatedrl.datasets import load
from curatedrl.errors import CuratedRLError
from curatedrl.run.records.checkpoint import load_state
from curatedrl.run.records.rundir import read_yaml, write_yaml
from curatedrl.run.records.runstate import config_of
from curatedrl.run.loop.train import train

RUN = {"ref_steps": 30, "ref_batch_size": 4, "ref_lr": 1e-3, "steps_per_episode": 2,
       "steps": 6, "batch_size": 4, "lr": 1e-2, "warmup_steps": 1, "eval_every": 0,
       "final_eval_episodes": 1, "temperature": 50.0}


@pytest.fixture(scope="module")
def iw_run(hopper_random_id, tmp_path_factory):
    out = tmp_path_factory.mktemp("wp") / "iw_bc_q"
    train("iw_bc_q", hopper_random_id, 3, RUN, out, progress=False)
    return out


def test_weights_equal_a_plain_loop_over_each_episode(iw_run, hopper_random_id):
    view, w = episode_weights_of_run(iw_run)
    resolved = read_yaml(iw_run / "config.yaml")
    cfg = config_of(ALGOS["iw_bc_q"].config_cls, resolved)
    state = load_state(iw_run / "checkpoint.pt")
    ds = load(hopper_random_id)
    agent = ALGOS["iw_bc_q"](cfg, ds.metadata.obs_dim, ds.metadata.act_dim)
    agent.q.load_state_dict(state["q"])
    agent.ref.load_state_dict(state["ref"])
    loop = {}  # unnormalised weight of each distinct episode
    for e in np.unique(view.episodes):
        s, t = ds.offsets[e], ds.offsets[e + 1]
        obs, act = torch.as_tensor(ds.observations[s:t]), torch.as_tensor(ds.actions[s:t])
        with torch.no_grad():
            gap = (agent.q.log_prob(obs, act).double().sum()
                   - agent.ref.log_prob(obs, act).double().sum()) / (t - s)
        loop[int(e)] = min(float(torch.exp(cfg.temperature * gap)), cfg.weight_clip)
    total = sum(loop.values())  # normalised over the distinct episodes, as the loss does
    # Both sides are float32 forward passes over batches of other sizes, whose sums round
    # differently (by CPU: 1.3e-6 relative in the weights on an Intel Xeon, under 1e-9 on an
    # AMD EPYC), and the temperature (50) multiplies the log-probability gap's rounding.
    rel = 2e-5
    for i, e in enumerate(view.episodes):
        assert w[i] == pytest.approx(loop[int(e)] / total, rel=rel)
    # q moved away from π_ref: the weights differ between episodes far beyond that tolerance
    assert np.ptp(w) / np.mean(w) > 100 * rel


def test_profile_compares_weighted_mass_with_the_views_draws(iw_run, capsys):
    out = profile(iw_run)
    assert out["view"] == "quality"
    assert 0.0 < out["weight ESS / n"] < 1.0
    assert out["upper half, weighted"] != out["upper half, draws"]
    flat = iw_run.parent / "flat"  # temperature 0: every weight is 1, nothing moves
    flat.mkdir()
    cfg = read_yaml(iw_run / "config.yaml")
    write_yaml(flat / "config.yaml", {**cfg, "temperature": 0.0})
    (flat / "checkpoint.pt").write_bytes((iw_run / "checkpoint.pt").read_bytes())
    same = profile(flat)
    assert same["weight ESS / n"] == pytest.approx(1.0)
    assert same["upper half, weighted"] == pytest.approx(same["upper half, draws"])
    assert same["mean return, weighted"] == pytest.approx(same["mean return, draws"])
    assert main([str(iw_run)]) == 0
    assert "quality" in capsys.readouterr().out


def test_a_run_that_is_not_iw_bc_or_not_finished_is_refused(iw_run, tmp_path):
    with pytest.raises(CuratedRLError, match="has no config.yaml"):
        profile(tmp_path)
    (tmp_path / "checkpoint.pt").write_bytes(b"")
    write_yaml(tmp_path / "config.yaml", {**read_yaml(iw_run / "config.yaml"), "algo": "sft_q"})
    with pytest.raises(CuratedRLError, match="is a sft_q run; the weight profile needs"):
        profile(tmp_path)


def test_the_command_checks_every_run_before_the_first_profile(
        iw_run, tmp_path, capsys, monkeypatch):
    import curatedrl.benchmarks.speed.weight_profile as wp

    def no_profile(run):
        raise AssertionError("profiled before every run was checked")

    monkeypatch.setattr(wp, "profile", no_profile)
    assert main([str(iw_run), str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [
        f"weight_profile: error: {tmp_path} has no config.yaml: give the directory of a "
        f"finished iw_bc or iw_bc_q run"]
