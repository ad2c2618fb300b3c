"""The packed iw-BC step (what trains) equals the padded-and-masked reference (what the speed
figure compares against) on the same episodes and the same networks."""

import numpy as np
import torch

from curatedrl.algos import config_from_dict
from curatedrl.algos.iw_bc import IWBC, IWBCConfig
from curatedrl.algos.networks import GaussianActor
from curatedrl.benchmarks.speed.padded import padded_batch, padded_iw_bc_update
from curatedrl.datasets import make_generator, to_device
from tests.conftest import hand_dataset

OBS, ACT = 4, 2


def agent_and_buffer():
    ds = hand_dataset(list(np.linspace(0, 30, 40)), lengths=[1 + (7 * i) % 13 for i in range(40)],
                      obs_dim=OBS, act_dim=ACT, seed=4)
    cfg = config_from_dict(IWBCConfig, {"batch_size": 8, "warmup_steps": 2, "steps": 10})
    agent = IWBC(cfg, OBS, ACT)
    torch.manual_seed(99)
    ref = GaussianActor(OBS, ACT)
    with torch.no_grad():
        ref.log_std.fill_(-0.3)
    agent.prepare(ds)
    agent.set_reference(ref.state_dict())
    return agent, to_device(ds).restrict(agent.select(ds))


def test_padded_batch_holds_the_packed_steps_and_a_mask():
    agent, buf = agent_and_buffer()
    batch = buf.sample_episodes(8, make_generator(0))
    obs, act, mask = padded_batch(batch)
    assert obs.shape[:2] == mask.shape == (8, int(batch.lengths.max()))
    torch.testing.assert_close(mask.sum(1), batch.lengths)
    torch.testing.assert_close(obs[mask], batch.observations, rtol=0, atol=0)
    torch.testing.assert_close(act[mask], batch.actions, rtol=0, atol=0)


def test_packed_iw_bc_steps_equal_padded_and_masked_steps():
    packed, buf = agent_and_buffer()
    padded, _ = agent_and_buffer()  # same seed: the same initial networks
    gen = make_generator(1)
    for _ in range(4):  # several steps: q (the EMA) and the schedule move away from π_ref
        batch = buf.sample_episodes(8, gen)
        loss_packed = packed.update(batch)["loss"]
        loss_padded = padded_iw_bc_update(padded, batch).item()
        assert abs(loss_packed - loss_padded) <= 1e-5 * max(1.0, abs(loss_packed))
    for name in ("actor", "q"):
        for p, q in zip(getattr(packed, name).parameters(), getattr(padded, name).parameters()):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
