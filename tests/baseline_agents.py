"""The baselines' shared test fixtures: a small hand dataset of uneven episodes, an agent made
and prepared on it, a transition sampler and a flat copy of a module's parameters."""

import numpy as np
import torch

from curatedrl.algos import config_from_dict
from curatedrl.datasets import make_generator, to_device
from tests.conftest import hand_dataset

OBS, ACT = 4, 2


def dataset():
    return hand_dataset(list(np.linspace(0, 50, 20)), lengths=[2 + i % 4 for i in range(20)],
                        obs_dim=OBS, act_dim=ACT, seed=3)


def make(cls, cfg_cls, ds=None, **kw):
    cfg = config_from_dict(cfg_cls, {"batch_size": 8, "steps": 50, **kw})
    agent = cls(cfg, OBS, ACT)
    agent.prepare(ds if ds is not None else dataset())
    return agent


def sampler(ds, seed=0):
    buf = to_device(ds)
    gen = make_generator(seed)
    return lambda n=8: buf.sample_transitions(n, gen)


def flat(module):
    return torch.cat([p.detach().reshape(-1).clone() for p in module.parameters()])
