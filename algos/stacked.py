"""N seeds of one algorithm trained together in one process, by the algorithm's own update.

Stacking is a property of the networks, not a second copy of any algorithm: ``StackedNets``
(``algos/stacked_nets.py``) has the interface of ``algos/nets.py``'s ``Nets`` but holds each
network's parameters stacked along a leading seed dimension (``torch.func.stack_module_state``)
and runs every pure function of an update with ``torch.func.vmap`` over it (each seed's slice
through ``functional_call`` on the module). The update code is the algorithm's single-seed
``update``, run on a copy of the first seed's agent whose ``nets`` is the stacked one.

- Every seed starts from its single-seed initialisation (N agents of the registry's class are
  built, one per seed, and their modules stacked).
- Losses are per seed (vmap) and summed before ``backward``, so each seed's gradient is its own;
  one Adam steps the stacked tensors (elementwise: N independent Adams; the fused kernel where
  the build has it on the device).
- Seed i draws its batches from ``make_generator(seed_i)`` like the trainer, and its noise from
  its own agent's generator, in the single-seed order.

So N stacked seeds take the steps of N separate runs up to float rounding of batched vs single
matmuls (``tests/test_stacked.py``). ``export()`` writes the stacked parameters and optimizer
states back into the N single-seed agents, which then evaluate, save and resume like any run.

Stackable (``STACKED``): bc at transition level and the five baselines. Not stackable: the
episode-level BC family (bc at episode level, filtered_bc, sft_q, iw_bc, iw_bc_q): a batch of
whole episodes has a different number of rows for every seed, so the seeds' batches have no
common shape to stack, and the iw-BC family also runs a frozen reference and an EMA learner
outside its optimizer.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Sequence

import torch
from torch import nn

from curatedrl.algos import ALGOS
from curatedrl.algos.base import Algorithm, BaseConfig
from curatedrl.algos.stacked_nets import StackedNets
from curatedrl.datasets.buffer import DeviceBuffer, TransitionBatch, make_generator
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError

STACKED = ("bc", "td3_bc", "iql", "awac", "cql", "rebrac")


def sample_stacked(buffer: DeviceBuffer, batch_size: int,
                   generators: Sequence[torch.Generator]) -> TransitionBatch:
    """One transition batch per generator, stacked: (N, B, ·) tensors.

    Seed i's batch is exactly ``buffer.sample_transitions(batch_size, generators[i])``; for an
    unweighted view the N draws are gathered with one index per field instead of N.
    """
    if buffer.step_probs is not None:
        batches = [buffer.sample_transitions(batch_size, g) for g in generators]
        return TransitionBatch(**{f.name: torch.stack([getattr(b, f.name) for b in batches])
                                  for f in dataclasses.fields(TransitionBatch)})
    dev = buffer.device
    k = torch.stack([torch.randint(buffer.total_steps, (batch_size,), generator=g, device=dev)
                     for g in generators])
    ep = torch.searchsorted(buffer.view_cum, k, right=True)
    return buffer.transitions_at(ep, k - (buffer.view_cum[ep] - buffer.lengths[ep]))


def stack_problem(name: str, cfg: BaseConfig) -> str | None:
    """Why algorithm ``name`` with ``cfg`` cannot train stacked seeds, or None if it can."""
    if name not in STACKED:
        return (f"algorithm {name!r} cannot train stacked seeds (whole-episode batches differ "
                f"in size per seed); stackable: {', '.join(STACKED)}")
    if name == "bc" and getattr(cfg, "level", "transition") != "transition":
        return ("bc trains stacked seeds at level 'transition' only (whole-episode batches "
                "differ in size per seed); set level: transition")
    return None


def _check(name: str, cfg: BaseConfig, seeds: Sequence[int]) -> None:
    problem = stack_problem(name, cfg)
    if problem is not None:
        raise CuratedRLError(problem)
    if not seeds:
        raise CuratedRLError("stacked seeds need at least one seed, got none (N = 0)")
    if len(set(seeds)) != len(seeds):
        raise CuratedRLError(f"stacked seeds must be distinct, got {list(seeds)}")


class StackedSeeds:
    """N seeds of algorithm ``name`` in one process: ``prepare``, ``sample``, ``update`` (the
    algorithm's own, on (N, B, ·) batches; returns (N,) metric tensors), ``export``."""

    def __init__(self, name: str, cfg: BaseConfig, seeds: Sequence[int], obs_dim: int,
                 act_dim: int):
        _check(name, cfg, seeds)
        self.name, self.cfg, self.seeds, self.n = name, cfg, list(seeds), len(seeds)
        self.device = torch.device(cfg.device)
        cls = ALGOS[name]
        self.singles: list[Algorithm] = [cls(dataclasses.replace(cfg, seed=s), obs_dim, act_dim)
                                         for s in self.seeds]
        self.data_generators = [make_generator(s, self.device) for s in self.seeds]
        self.nets = StackedNets(self.singles, self.device)
        self.agent = copy.copy(self.singles[0])
        self.agent.nets = self.nets
        stacked_ids = {id(p) for a in self.singles for part in a.nets.parts.values()
                       if isinstance(part, nn.Module) and part not in self.nets.shared.values()
                       for p in part.parameters()}
        for attr, value in vars(self.singles[0]).items():  # no update may reach seed 0's nets
            stacked = isinstance(value, torch.optim.Optimizer) or id(value) in stacked_ids or (
                isinstance(value, nn.Module) and any(id(p) in stacked_ids
                                                     for p in value.parameters()))
            if stacked:
                setattr(self.agent, attr, None)
        if isinstance(getattr(self.agent, "last_actor", None), dict):  # metrics before any
            self.agent.last_actor = self.nets.metrics(self.agent.last_actor)  # actor step

    def prepare(self, ds: EpisodeDataset) -> None:
        for a in self.singles:
            a.prepare(ds)
        self.agent.prepare(ds)

    def sample(self, buffer: DeviceBuffer) -> TransitionBatch:
        return sample_stacked(buffer, self.cfg.batch_size, self.data_generators)

    def update(self, batch: TransitionBatch) -> dict[str, torch.Tensor]:
        """One step of every seed on its (N, B, ·) batch; (N,) metric tensors, no host sync."""
        return self.agent.update(batch)

    def compile(self, **kwargs: Any) -> StackedSeeds:
        """Opt-in: route ``update`` through ``torch.compile(**kwargs)``. Meant for CUDA, where
        ``mode="reduce-overhead"`` captures the step in CUDA graphs; CPU runs stay eager."""
        self.update = torch.compile(self.agent.update, **kwargs)
        return self

    def load(self, states: Sequence[dict[str, Any]]) -> None:
        """Start every seed from a single-seed ``state_dict()`` (a resume checkpoint, or an
        exported seed): loaded into the single-seed agents, then stacked (parameters and Adam
        states). All seeds must be at the same update count."""
        for a, state in zip(self.singles, states, strict=True):
            a.load_state_dict(state)
        counts = {a.num_updates for a in self.singles}
        if len(counts) != 1:
            raise CuratedRLError(f"stacked seeds must start at one update count, got "
                                 f"{sorted(counts)}")
        self.nets.load(self.singles)
        self.agent.num_updates = self.singles[0].num_updates
        if isinstance(getattr(self.agent, "last_actor", None), dict):
            self.agent.last_actor = self.nets.metrics({
                k: torch.tensor([a.last_actor[k] for a in self.singles], device=self.device)
                for k in self.singles[0].last_actor})

    def export(self) -> list[Algorithm]:
        """The N single-seed agents holding the stacked state (for evaluation and saving)."""
        self.nets.export(self.singles)
        last_actor = getattr(self.agent, "last_actor", None)
        for i, a in enumerate(self.singles):
            a.num_updates = self.agent.num_updates
            if isinstance(last_actor, dict):
                a.last_actor = {k: float(v[i]) for k, v in last_actor.items()}
        return self.singles


def stack(name: str, cfg: BaseConfig, seeds: Sequence[int], obs_dim: int, act_dim: int
          ) -> StackedSeeds:
    """N = len(seeds) seeds of ``ALGOS[name]`` trained as one (one-line error if it cannot)."""
    return StackedSeeds(name, cfg, seeds, obs_dim, act_dim)
