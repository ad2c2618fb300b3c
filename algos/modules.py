"""What the offline-RL baselines (TD3+BC, IQL, CQL, AWAC, ReBRAC) share: networks, state
normalisation, the polyak target update, small loss helpers and the ``OfflineRL`` scaffolding
(normaliser, seeded generator, update counter, state_dict over named parts).

Critics are one ``QEnsemble``: n Q-functions evaluated in one batched pass (batched matmuls), so
twin critics cost one call; ``q(obs, act)`` returns (n, ...) values.
"""

from __future__ import annotations

from dataclasses import dataclass

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from curatedrl.algos.base import Algorithm, BaseConfig, StageOne
from curatedrl.algos.networks import mlp
from curatedrl.algos.nets import Nets
from curatedrl.algos.schedules import ema_update
from curatedrl.datasets.buffer import TransitionBatch, make_generator
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError


# --- networks ------------------------------------------------------------------------------------


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


# --- losses --------------------------------------------------------------------------------------


def expectile_loss(diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """mean |τ − 1(diff < 0)| · diff² (IQL's asymmetric L2 on diff = Q − V)."""
    weight = torch.where(diff < 0, 1.0 - expectile, expectile)
    return (weight * diff.pow(2)).mean()


def advantage_weights(adv: torch.Tensor, scale: float, clip: float) -> torch.Tensor:
    """exp(scale · A) clamped above at ``clip`` (IQL: scale = β; AWAC: scale = 1/λ)."""
    return torch.exp(scale * adv).clamp(max=clip)


# --- shared scaffolding --------------------------------------------------------------------------


def require(ok: bool, message: str) -> None:
    if not ok:
        raise CuratedRLError(message)


@dataclass
class OfflineRLConfig(BaseConfig):
    """Defaults the offline-RL baselines share (each config's docstring documents every field
    with its source; a baseline overrides what its recipe sets differently)."""

    steps: int = 1_000_000
    batch_size: int = 256
    eval_every: int = 5000
    eval_episodes: int = 10
    checkpoint_every: int = 5000
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    discount: float = 0.99
    tau: float = 5e-3
    hidden_dim: int = 256
    num_layers: int = 2

    def validate(self) -> None:
        super().validate()
        require(0.0 < self.discount <= 1.0, f"discount must lie in (0, 1], got {self.discount}")
        require(0.0 < self.tau <= 1.0, f"tau must lie in (0, 1], got {self.tau}")
        require(self.hidden_dim > 0, f"hidden_dim must be positive, got {self.hidden_dim}")
        require(self.num_layers > 0, f"num_layers must be positive, got {self.num_layers}")


class OfflineRL(Algorithm):
    """Scaffolding of the baselines: transition batches, a ``StateNormalizer`` fitted in
    ``prepare``, a ``torch.Generator`` on the device seeded with ``cfg.seed`` for every draw made
    inside ``update`` (so save → load → update is bit-identical), and an update counter.

    Subclasses build ``self.actor`` (with an ``act`` method), their critics and optimizers, and
    list every module and optimizer to save in ``self.parts`` (name → object); ``update`` reaches
    them through ``self.nets`` (``algos/nets.py``), which is what lets the same update train one
    seed or N stacked seeds (``algos/stacked.py``). With a policy
    delay, ``self.last_actor`` keeps the actor metrics of the last actor update, reported (and
    saved) on the steps in between so that metrics.csv keeps the same columns.
    """

    def __init__(self, cfg: BaseConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        self.normalizer = StateNormalizer(obs_dim).to(self.device)
        self.generator = make_generator(cfg.seed, self.device)
        self.num_updates = 0
        self.parts: dict[str, nn.Module | torch.optim.Optimizer] = {"normalizer": self.normalizer}
        self.nets = Nets(self.parts, self.generator)
        self.last_actor: dict[str, float] = {}

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        self.normalizer.fit(ds.observations)
        return super().prepare(ds, stage_one, info)

    def set_actor_critic(self, actor: nn.Module, critic: nn.Module,
                         actor_target: bool = False) -> None:
        """Register the actor and critics with a frozen target critic (and target actor), and
        Adam optimizers at ``cfg.actor_lr`` and ``cfg.critic_lr``; all of them are saved."""
        self.actor, self.critic = actor, critic
        self.critic_target = frozen_copy(critic)
        self.actor_opt = torch.optim.Adam(actor.parameters(), lr=self.cfg.actor_lr)
        self.critic_opt = torch.optim.Adam(critic.parameters(), lr=self.cfg.critic_lr)
        self.parts.update(actor=actor, critic=critic, critic_target=self.critic_target,
                          actor_opt=self.actor_opt, critic_opt=self.critic_opt)
        if actor_target:
            self.actor_target = frozen_copy(actor)
            self.parts["actor_target"] = self.actor_target

    def td_target(self, rewards: torch.Tensor, terminations: torch.Tensor,
                  next_value: torch.Tensor) -> torch.Tensor:
        """r + γ (1 − done) V(s'): bootstrapping stops at terminal states only."""
        return rewards + (1.0 - terminations) * self.cfg.discount * next_value

    def action_shape(self, batch: TransitionBatch) -> tuple[int, int]:
        """(B, act_dim): one seed's batch of actions (B is the last dimension of the rewards,
        also when the batch carries a leading seed dimension)."""
        return batch.rewards.shape[-1], self.act_dim

    def target_noise(self, shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
        """TD3's target-policy noise clip(N(0, σ²), −c, c), drawn from the update's generator."""
        cfg = self.cfg
        return (self.nets.randn(shape) * cfg.policy_noise).clamp(-cfg.noise_clip, cfg.noise_clip)

    @staticmethod
    def smoothed_target_action(nets, next_obs: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """TD3's target policy smoothing: clip(π'(s') + noise, −1, 1)."""
        return (nets.actor_target(next_obs) + noise).clamp(-1.0, 1.0)

    @staticmethod
    def critic_mse(nets, obs: torch.Tensor, actions: torch.Tensor, target: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """(Q values, the sum over critics of their MSE to ``target``)."""
        q = nets.critic(obs, actions)
        return q, (q - target).pow(2).mean(1).sum()

    @torch.no_grad()
    def act_tensor(self, obs: torch.Tensor) -> torch.Tensor:
        return self.actor.act(self.normalizer(obs)).clamp(-1.0, 1.0)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: part.state_dict() for name, part in self.parts.items()}
        state["generator"] = self.generator.get_state()
        state["num_updates"] = self.num_updates
        state["last_actor"] = dict(self.last_actor)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, part in self.parts.items():
            part.load_state_dict(state[name])
        self.generator.set_state(state["generator"].cpu())
        self.num_updates = int(state["num_updates"])
        self.last_actor = {k: float(v) for k, v in state["last_actor"].items()}
