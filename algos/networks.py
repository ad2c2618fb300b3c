"""Networks: the MLP, the Gaussian actor of the BC family, and the baselines' actors, critics
(``QEnsemble``: n Q-functions in one batched pass, so twin critics cost one call; ``q(obs, act)``
returns (n, ...) values), value net, state normaliser and target-network helpers."""

from __future__ import annotations

import copy
import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from curatedrl.algos.schedules import ema_update

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)  # a python float: exact in float64 too


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, layer_norm: bool = False
        ) -> nn.Sequential:
    """Linear (→ LayerNorm) → ReLU stacks, then a linear output layer. The ReLUs work in place
    (neither Linear's nor LayerNorm's backward needs its output): on CPU this saves allocating
    and writing a fresh activation buffer per layer — ~20% of an iw-BC step on 256 episodes."""
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers.append(nn.Linear(d, h))
        if layer_norm:
            layers.append(nn.LayerNorm(h))
        layers.append(nn.ReLU(inplace=True))
        d = h
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


class GaussianActor(nn.Module):
    """The paper's actor: MLP obs→256→256→256→act (ReLU), mean = tanh(output), one learned
    log-std per action dimension (initialised at 0, clamped to [−5, 2]); Normal(mean, std) with
    log-probabilities summed over action dimensions. No observation normalisation.
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden: Sequence[int] = (256, 256, 256)):
        super().__init__()
        self.net = mlp(obs_dim, hidden, act_dim)
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def mean(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(obs))

    def log_std_clamped(self) -> torch.Tensor:
        return self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def log_prob(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """(N,) log π(a|s), summed over action dimensions."""
        mean, log_std = self.mean(obs), self.log_std_clamped()
        z = (act - mean) * torch.exp(-log_std)
        return (-0.5 * z.pow(2) - log_std - HALF_LOG_2PI).sum(-1)

    @torch.no_grad()
    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """Deterministic evaluation action: the tanh mean."""
        return self.mean(obs)


class EnsembleLinear(nn.Module):
    """n independent linear layers applied to (n, M, in) inputs; nn.Linear's default init."""

    def __init__(self, in_dim: int, out_dim: int, n: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, in_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(n, 1, out_dim))
        bound = 1.0 / math.sqrt(in_dim)  # = nn.Linear's kaiming_uniform(a=√5) and bias bounds
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleLayerNorm(nn.Module):
    """LayerNorm over the last dimension with a separate affine transform per ensemble member."""

    def __init__(self, dim: int, n: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n, 1, dim))
        self.bias = nn.Parameter(torch.zeros(n, 1, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:]) * self.weight + self.bias


class QEnsemble(nn.Module):
    """n critics Q_i(s, a): [s, a] → (Linear → ReLU (→ LayerNorm)) × num_layers → Linear → 1.

    The LayerNorm order (after the ReLU) is ReBRAC's. ``forward(obs, act)`` takes any leading
    dimensions (B, ...) and returns (n, B, ...).
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden_dim: int = 256, num_layers: int = 2,
                 n: int = 2, layer_norm: bool = False):
        super().__init__()
        self.n = n
        layers: list[nn.Module] = []
        d = obs_dim + act_dim
        for _ in range(num_layers):
            layers += [EnsembleLinear(d, hidden_dim, n), nn.ReLU()]
            if layer_norm:
                layers.append(EnsembleLayerNorm(hidden_dim, n))
            d = hidden_dim
        layers.append(EnsembleLinear(d, 1, n))
        self.net = nn.Sequential(*layers)

    def linears(self) -> list[EnsembleLinear]:
        return [m for m in self.net if isinstance(m, EnsembleLinear)]

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        x = torch.cat([obs, act], dim=-1)
        lead = x.shape[:-1]
        x = x.reshape(1, -1, x.shape[-1]).expand(self.n, -1, -1)
        return self.net(x).reshape(self.n, *lead)


class DeterministicActor(nn.Module):
    """a = tanh(MLP(s)): obs → (hidden_dim ReLU) × num_layers → act (TD3+BC, ReBRAC, IQL)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_dim: int = 256, num_layers: int = 2):
        super().__init__()
        self.net = mlp(obs_dim, [hidden_dim] * num_layers, act_dim)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(obs))

    @torch.no_grad()
    def act(self, obs: torch.Tensor) -> torch.Tensor:
        return self(obs)


class TanhGaussianActor(nn.Module):
    """a = tanh(u), u ~ Normal(μ(s), σ(s)): SAC's squashed Gaussian as in CORL's CQL.

    The MLP outputs μ and a raw log σ; log σ = multiplier · raw + offset (two learned scalars,
    initialised at 1 and −1 as in CORL), clamped to [−20, 2]. ``log_prob`` includes the tanh
    change of variables, log|d tanh(u)/du| = 2 (log 2 − u − softplus(−2u)).
    """

    LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0

    def __init__(self, obs_dim: int, act_dim: int, hidden_dim: int = 256, num_layers: int = 3):
        super().__init__()
        self.net = mlp(obs_dim, [hidden_dim] * num_layers, 2 * act_dim)
        self.log_std_multiplier = nn.Parameter(torch.tensor(1.0))
        self.log_std_offset = nn.Parameter(torch.tensor(-1.0))

    def mean_log_std(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, raw = self.net(obs).chunk(2, dim=-1)
        log_std = self.log_std_multiplier * raw + self.log_std_offset
        return mean, log_std.clamp(self.LOG_STD_MIN, self.LOG_STD_MAX)

    def sample(self, obs: torch.Tensor, noise: torch.Generator | torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reparameterised actions (..., act) and their log-probabilities (...); ``noise`` is the
        standard normal ε of u = μ + σ ε, or the generator to draw it from."""
        mean, log_std = self.mean_log_std(obs)
        eps = noise if isinstance(noise, torch.Tensor) else torch.randn(
            mean.shape, generator=noise, device=mean.device, dtype=mean.dtype)
        u = mean + log_std.exp() * eps
        log_prob = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_prob = log_prob - tanh_log_det(u).sum(-1)
        return torch.tanh(u), log_prob

    @torch.no_grad()
    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """Deterministic evaluation action: tanh of the mean."""
        return torch.tanh(self.mean_log_std(obs)[0])


def tanh_log_det(u: torch.Tensor) -> torch.Tensor:
    """log |d tanh(u) / du|, computed stably."""
    return 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))


class ValueNet(nn.Module):
    """V(s): obs → (hidden_dim ReLU) × num_layers → 1 (IQL's value function)."""

    def __init__(self, obs_dim: int, hidden_dim: int = 256, num_layers: int = 2):
        super().__init__()
        self.net = mlp(obs_dim, [hidden_dim] * num_layers, 1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs).squeeze(-1)


class StateNormalizer(nn.Module):
    """s ↦ (s − mean) / std with the dataset's statistics, std = std + eps (CORL: eps 1e-3).

    Identity until ``fit``; mean and std are buffers, so they travel in ``state_dict``.
    """

    def __init__(self, obs_dim: int, eps: float = 1e-3):
        super().__init__()
        self.eps = eps
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("std", torch.ones(obs_dim))

    def fit(self, observations: np.ndarray) -> None:
        x = np.asarray(observations, dtype=np.float64)
        self.mean.copy_(torch.as_tensor(x.mean(0), dtype=torch.float32))
        self.std.copy_(torch.as_tensor(x.std(0) + self.eps, dtype=torch.float32))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return (obs - self.mean) / self.std


@torch.no_grad()
def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """Polyak update θ' ← (1 − τ) θ' + τ θ of every parameter."""
    ema_update(target, source, 1.0 - tau)


def frozen_copy(module: nn.Module) -> nn.Module:
    """A target network: a copy that no optimizer sees and no gradient reaches."""
    return copy.deepcopy(module).requires_grad_(False)
