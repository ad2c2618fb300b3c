"""How an algorithm's update reaches its networks, written once for one seed or N seeds.

An update is written as pure functions of the networks, ``fn(nets, *tensors)``, called through
``self.nets.apply(fn, ...)``, and optimizer steps ``self.nets.step(name, loss)``; random draws
come from ``self.nets.randn`` / ``rand`` (drawn before the pure functions run), target networks
move with ``self.nets.polyak`` and metrics leave through ``self.nets.metrics``.

``Nets`` (here) runs them on one seed's modules: ``apply`` calls ``fn`` on the modules
themselves, so a single-seed update is exactly the plain PyTorch code it replaces (same ops,
same order, bit-identical results). ``algos/stacked_nets.py``'s ``StackedNets`` runs the same
update for N seeds at once: parameters stacked along a leading seed dimension, ``fn`` vmapped.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

import torch
from torch import nn

from curatedrl.algos.schedules import ema_update


def floats(values: dict[str, torch.Tensor | float]) -> dict[str, float]:
    """Metrics as python floats, with a single device synchronisation for all tensors."""
    tensors = {k: v for k, v in values.items() if isinstance(v, torch.Tensor)}
    out = {k: float(v) for k, v in values.items() if not isinstance(v, torch.Tensor)}
    if tensors:
        flat = torch.stack([v.detach().float().reshape(()) for v in tensors.values()]).tolist()
        out.update(zip(tensors, flat))
    return {k: out[k] for k in values}


class Nets:
    """One seed's networks and optimizers, by name, as listed in ``parts`` (a live dict: parts
    added later are seen), and the generator of the update's random draws."""

    stacked = False

    def __init__(self, parts: dict[str, nn.Module | torch.optim.Optimizer],
                 generator: torch.Generator | None = None):
        self.parts = parts
        self.generator = generator

    def view(self) -> SimpleNamespace:
        """The modules as attributes: ``nets.critic(obs, act)``, ``nets.actor.log_prob(...)``."""
        return SimpleNamespace(**{k: v for k, v in self.parts.items() if isinstance(v, nn.Module)})

    def apply(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(self.view(), *args)

    def step(self, opt: str, loss: torch.Tensor) -> None:
        """One step of optimizer ``opt`` on ``loss``."""
        optimizer = self.parts[opt]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def set_lr(self, opt: str, lr: float) -> None:
        for group in self.parts[opt].param_groups:
            group["lr"] = lr

    @torch.no_grad()
    def polyak(self, target: str, source: str, tau: float) -> None:
        """θ' ← (1 − τ) θ' + τ θ for every parameter of ``target``."""
        ema_update(self.parts[target], self.parts[source], 1.0 - tau)

    def randn(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator, device=self.generator.device)

    def rand(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator, device=self.generator.device)

    def metrics(self, values: dict[str, torch.Tensor | float]) -> dict[str, Any]:
        return floats(values)
