"""What the offline-RL baselines (TD3+BC, IQL, CQL, AWAC, ReBRAC) share: their config defaults
and the ``OfflineRL`` scaffolding (normaliser, seeded generator, update counter, state_dict over
named parts, actor-critic registration, TD targets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from curatedrl.algos.base import Algorithm, BaseConfig, StageOne
from curatedrl.algos.nets import Nets
from curatedrl.algos.networks import StateNormalizer, frozen_copy
from curatedrl.datasets.buffer import TransitionBatch, make_generator
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError


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
