"""N seeds of one algorithm trained together in one process, by the algorithm's own update.

Stacking is a property of the networks, not a second copy of any algorithm: ``StackedNets`` has
the interface of ``algos/nets.py``'s ``Nets`` but holds each network's parameters stacked along a
leading seed dimension (``torch.func.stack_module_state``) and runs every pure function of an
update with ``torch.func.vmap`` over it (each seed's slice through ``functional_call`` on the
module). The update code is the algorithm's single-seed ``update``, run on a copy of the first
seed's agent whose ``nets`` is the stacked one.

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
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from curatedrl.algos import ALGOS
from curatedrl.algos.base import Algorithm, BaseConfig
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


def fused_adam_available(device: torch.device) -> bool:
    """Whether ``torch.optim.Adam(fused=True)`` runs on ``device`` in this build."""
    try:
        p = torch.zeros(1, device=device, requires_grad=True)
        p.grad = torch.zeros_like(p)
        torch.optim.Adam([p], fused=True).step()
        return True
    except (RuntimeError, NotImplementedError):
        return False


class _Call(nn.Module):
    """Calls a method of the wrapped module, so ``functional_call`` reaches methods other than
    ``forward`` (``actor.log_prob``, ``actor.sample``)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.m = module

    def forward(self, method: str, *args: Any) -> Any:
        return getattr(self.m, method)(*args)


class _Functional:
    """One seed's slice of a stacked module inside ``vmap``: called like the module."""

    def __init__(self, call: _Call, state: dict[str, torch.Tensor]):
        self._call, self._state = call, state

    def __call__(self, *args: Any) -> Any:
        return functional_call(self._call, self._state, ("__call__", *args))

    def __getattr__(self, method: str) -> Callable[..., Any]:
        return lambda *args: functional_call(self._call, self._state, (method, *args))


def _stack_state(modules: Sequence[nn.Module]) -> dict[str, torch.Tensor]:
    """Parameters and buffers of N same-shaped modules stacked, keyed for ``_Call`` ("m.…")."""
    params, buffers = stack_module_state(list(modules))
    return {f"m.{k}": v for k, v in {**params, **buffers}.items()}


class StackedNets:
    """``Nets`` for N seeds: the stacked parameters of every module that has parameters, Adam
    optimizers over them mirroring each seed's, and the N seeds' generators. Modules without
    parameters (the state normaliser: the dataset's statistics, the same for every seed) are
    shared."""

    stacked = True

    def __init__(self, singles: Sequence[Any], device: torch.device):
        first = singles[0].nets
        self.n, self.device = len(singles), device
        fused = fused_adam_available(device)
        self.generators = [a.nets.generator for a in singles]
        self.shared: dict[str, nn.Module] = {}
        self.calls: dict[str, _Call] = {}
        self.state: dict[str, dict[str, torch.Tensor]] = {}
        self.param_keys: dict[str, list[str]] = {}
        for name, part in first.parts.items():
            if isinstance(part, nn.Module) and next(part.parameters(), None) is None:
                self.shared[name] = part
            elif isinstance(part, nn.Module):
                self.calls[name] = _Call(copy.deepcopy(part))
                self.state[name] = _stack_state([a.nets.parts[name] for a in singles])
                self.param_keys[name] = [f"m.{k}" for k, _ in part.named_parameters()]
        where = {id(p): (name, f"m.{key}") for name in self.calls
                 for key, p in first.parts[name].named_parameters()}
        self.optims: dict[str, torch.optim.Optimizer] = {}
        self.owners: dict[str, list[tuple[str, str]]] = {}
        for name, part in first.parts.items():
            if isinstance(part, torch.optim.Optimizer):
                self.owners[name] = [where[id(p)] for p in part.param_groups[0]["params"]]
                self.optims[name] = self._adam(part, self.owners[name], fused)

    def _adam(self, single: torch.optim.Optimizer, owners: list[tuple[str, str]], fused: bool
              ) -> torch.optim.Adam:
        if type(single) is not torch.optim.Adam or len(single.param_groups) != 1:
            raise CuratedRLError("stacking needs one Adam per set of networks; this algorithm "
                                 f"uses {type(single).__name__}")
        group = single.param_groups[0]
        return torch.optim.Adam([self.state[m][k] for m, k in owners], lr=group["lr"],
                                betas=group["betas"], eps=group["eps"],
                                weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                                fused=fused)

    def view(self, state: dict[str, dict[str, torch.Tensor]]) -> SimpleNamespace:
        return SimpleNamespace(**self.shared, **{name: _Functional(call, state[name])
                                                 for name, call in self.calls.items()})

    def apply(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` for every seed at once; tensor arguments (and transition batches) carry the
        seed dimension first, other arguments are shared."""
        kinds = [type(a) if dataclasses.is_dataclass(a) else None for a in args]
        flat = [{f.name: getattr(a, f.name) for f in dataclasses.fields(a)} if k else a
                for a, k in zip(args, kinds)]
        dims = [0 if isinstance(a, (torch.Tensor, dict)) else None for a in flat]

        def per_seed(state, *seed_args):
            seed_args = [k(**a) if k else a for a, k in zip(seed_args, kinds)]
            return fn(self.view(state), *seed_args)

        return vmap(per_seed, in_dims=(0, *dims))(self.state, *flat)

    def step(self, opt: str, loss: torch.Tensor) -> None:
        """One step of every seed: the sum of the per-seed losses has each seed's gradient."""
        optimizer = self.optims[opt]
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()

    def set_lr(self, opt: str, lr: float) -> None:
        for group in self.optims[opt].param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def polyak(self, target: str, source: str, tau: float) -> None:
        """θ' ← (1 − τ) θ' + τ θ for every parameter of ``target`` (``Nets.polyak``'s op)."""
        t, s = self.state[target], self.state[source]
        torch._foreach_lerp_([t[k] for k in self.param_keys[target]],
                             [s[k] for k in self.param_keys[source]], tau)

    def randn(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.stack([torch.randn(shape, generator=g, device=g.device)
                            for g in self.generators])

    def rand(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.stack([torch.rand(shape, generator=g, device=g.device)
                            for g in self.generators])

    def metrics(self, values: dict[str, torch.Tensor | float]) -> dict[str, torch.Tensor]:
        """(N,) tensors, one value per seed, with no device synchronisation."""
        return {k: v.detach() if isinstance(v, torch.Tensor) else
                torch.full((self.n,), float(v), device=self.device) for k, v in values.items()}

    @torch.no_grad()
    def export(self, singles: Sequence[Any]) -> None:
        """Write seed i's parameters, buffers and optimizer states into ``singles[i]``."""
        for name in self.calls:
            for i, agent in enumerate(singles):
                for key, value in agent.nets.parts[name].state_dict().items():
                    value.copy_(self.state[name][f"m.{key}"][i])
        for name, stacked in self.optims.items():
            for i, agent in enumerate(singles):
                single = agent.nets.parts[name]
                params = single.param_groups[0]["params"]
                single.param_groups[0]["lr"] = stacked.param_groups[0]["lr"]
                for p, (m, k) in zip(params, self.owners[name]):
                    st = stacked.state.get(self.state[m][k], {})
                    single.state[p] = {key: v.clone() if key == "step" else v[i].clone()
                                       for key, v in st.items()}


def _check(name: str, cfg: BaseConfig, seeds: Sequence[int]) -> None:
    if name not in STACKED:
        raise CuratedRLError(f"algorithm {name!r} cannot train stacked seeds (whole-episode "
                             f"batches differ in size per seed); stackable: {', '.join(STACKED)}")
    if name == "bc" and getattr(cfg, "level", "transition") != "transition":
        raise CuratedRLError("bc trains stacked seeds at level 'transition' only (whole-episode "
                             "batches differ in size per seed); set level: transition")
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
