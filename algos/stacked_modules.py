"""Networks of N seeds stacked along a leading dimension, evaluated with batched matmuls.

Each stacked module mirrors one single-seed module of ``networks.py`` / ``modules.py`` with the
same parameter names, and each stacked parameter is ``torch.stack`` of the N single-seed ones
reshaped (``StackedLinear`` weights are stored transposed, (N, in, out), the layout in which
CPU batched matmuls run fastest). So ``stack_into`` copies
N independently initialised single-seed modules into one stacked module, and ``unstack_into``
copies them back out — stacked training starts from exactly the single-seed initialisations and
hands back single-seed modules for evaluation and checkpoints.

Inputs and outputs carry the seed dimension first: (N, B, ·) → (N, B, ·).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from curatedrl.algos.modules import EnsembleLinear
from curatedrl.algos.networks import LOG_STD_MAX, LOG_STD_MIN


class StackedLinear(nn.Module):
    """N linear layers on (N, B, in) inputs: weight (N, in, out) — seed i's ``nn.Linear``
    weight transposed — and bias (N, 1, out)."""

    def __init__(self, n: int, in_dim: int, out_dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, in_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(n, 1, out_dim))
        bound = 1.0 / math.sqrt(in_dim)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


def stacked_mlp(n: int, in_dim: int, hidden: Sequence[int], out_dim: int) -> nn.Sequential:
    """``networks.mlp`` (no LayerNorm) for N seeds: same layer indices, so same state keys.
    The ReLUs work in place (the batched matmul's backward does not need its output)."""
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers += [StackedLinear(n, d, h), nn.ReLU(inplace=True)]
        d = h
    layers.append(StackedLinear(n, d, out_dim))
    return nn.Sequential(*layers)


class StackedGaussianActor(nn.Module):
    """N ``GaussianActor``s: log_prob (N, B, obs), (N, B, act) → (N, B)."""

    def __init__(self, n: int, obs_dim: int, act_dim: int,
                 hidden: Sequence[int] = (256, 256, 256)):
        super().__init__()
        self.net = stacked_mlp(n, obs_dim, hidden, act_dim)
        self.log_std = nn.Parameter(torch.zeros(n, 1, act_dim))

    def mean(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(obs))

    def log_prob(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        mean = self.mean(obs)
        log_std = self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        z = (act - mean) * torch.exp(-log_std)
        return (-0.5 * z.pow(2) - log_std - 0.5 * torch.log(torch.tensor(2 * torch.pi))).sum(-1)

    @torch.no_grad()
    def act(self, obs: torch.Tensor) -> torch.Tensor:
        return self.mean(obs)


class StackedDeterministicActor(nn.Module):
    """N ``DeterministicActor``s: a = tanh(MLP(s))."""

    def __init__(self, n: int, obs_dim: int, act_dim: int, hidden_dim: int = 256,
                 num_layers: int = 2):
        super().__init__()
        self.net = stacked_mlp(n, obs_dim, [hidden_dim] * num_layers, act_dim)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(obs))


class StackedValueNet(nn.Module):
    """N ``ValueNet``s: (N, B, obs) → (N, B)."""

    def __init__(self, n: int, obs_dim: int, hidden_dim: int = 256, num_layers: int = 2):
        super().__init__()
        self.net = stacked_mlp(n, obs_dim, [hidden_dim] * num_layers, 1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs).squeeze(-1)


class StackedQEnsemble(nn.Module):
    """N seeds' ``QEnsemble``s of ``per_seed`` critics each, as one ensemble of N · per_seed
    members (seed-major): (N, B, obs), (N, B, act) → (N, per_seed, B)."""

    def __init__(self, n: int, obs_dim: int, act_dim: int, hidden_dim: int = 256,
                 num_layers: int = 2, per_seed: int = 2):
        super().__init__()
        self.n, self.per_seed = n, per_seed
        layers: list[nn.Module] = []
        d = obs_dim + act_dim
        for _ in range(num_layers):
            layers += [EnsembleLinear(d, hidden_dim, n * per_seed), nn.ReLU(inplace=True)]
            d = hidden_dim
        layers.append(EnsembleLinear(d, 1, n * per_seed))
        self.net = nn.Sequential(*layers)

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        x = torch.cat([obs, act], dim=-1)
        n, b, d = x.shape
        x = x[:, None].expand(n, self.per_seed, b, d).reshape(n * self.per_seed, b, d)
        return self.net(x).reshape(n, self.per_seed, b)


def _transposed_keys(stacked: nn.Module) -> set[str]:
    return {f"{name}.weight" for name, m in stacked.named_modules()
            if isinstance(m, StackedLinear)}


@torch.no_grad()
def stack_into(stacked: nn.Module, singles: Sequence[nn.Module]) -> None:
    """Copy N single-seed modules' parameters and buffers into the stacked module."""
    target = stacked.state_dict()
    transposed = _transposed_keys(stacked)
    states = [m.state_dict() for m in singles]
    for key, value in target.items():
        parts = [s[key].t() if key in transposed else s[key] for s in states]
        value.copy_(torch.stack(parts).reshape(value.shape))


@torch.no_grad()
def unstack_into(stacked: nn.Module, singles: Sequence[nn.Module]) -> None:
    """Copy the stacked module's parameters back into N single-seed modules."""
    source = stacked.state_dict()
    transposed = _transposed_keys(stacked)
    for i, m in enumerate(singles):
        for key, value in m.state_dict().items():
            if key in transposed:
                value.copy_(source[key][i].t())
            else:
                value.copy_(source[key].reshape(len(singles), *value.shape)[i])
