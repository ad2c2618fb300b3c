"""``StackedNets``: the interface of ``algos/nets.py``'s ``Nets`` for N seeds at once.

Each network's parameters are stacked along a leading seed dimension
(``torch.func.stack_module_state``) and every pure function of an update runs under
``torch.func.vmap`` over that dimension, each seed's slice reaching the module through
``functional_call``. Losses come back per seed and are summed before ``backward`` (each seed
gets its own gradient); one Adam steps the stacked tensors (elementwise, so N independent
Adams). ``algos/stacked.py`` builds it from N single-seed agents and trains with it.
"""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace
from typing import Any, Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from curatedrl.errors import CuratedRLError


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
    def load(self, singles: Sequence[Any]) -> None:
        """The inverse of ``export``: seed i's parameters, buffers and Adam states (moments,
        step count, learning rate) from ``singles[i]`` into the stacked tensors."""
        for name in self.calls:
            for i, agent in enumerate(singles):
                for key, value in agent.nets.parts[name].state_dict().items():
                    self.state[name][f"m.{key}"][i].copy_(value)
        for name, stacked in self.optims.items():
            firsts = [agent.nets.parts[name] for agent in singles]
            stacked.param_groups[0]["lr"] = firsts[0].param_groups[0]["lr"]
            on_device = stacked.param_groups[0].get("fused")
            for j, (m, k) in enumerate(self.owners[name]):
                states = [opt.state.get(opt.param_groups[0]["params"][j], {}) for opt in firsts]
                if not states[0]:
                    stacked.state.pop(self.state[m][k], None)
                    continue
                target = self.state[m][k]
                stacked.state[target] = {
                    key: (torch.as_tensor(float(v), dtype=torch.float32,
                                          device=target.device if on_device else "cpu")
                          if key == "step" else torch.stack([s[key] for s in states]).clone())
                    for key, v in states[0].items()}

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
                group = single.param_groups[0]
                group["lr"] = stacked.param_groups[0]["lr"]
                # Adam keeps its step count on the CPU unless fused or capturable
                on_device = group.get("fused") or group.get("capturable")
                for p, (m, k) in zip(params, self.owners[name]):
                    st = stacked.state.get(self.state[m][k], {})
                    single.state[p] = {
                        key: (v.clone() if on_device else v.to("cpu", copy=True))
                        if key == "step" else v[i].clone() for key, v in st.items()}
