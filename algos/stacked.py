"""N seeds of a transition-level algorithm trained together in one process, with stacked
parameters (batched matmuls over a leading seed dimension, see ``stacked_modules.py``).

Implemented: ``bc`` (transition level), ``td3_bc`` and ``iql`` (Gaussian actor) — ``STACKED``.

Each stacked algorithm is built from N single-seed agents of the registry's class (so every seed
starts from exactly the initialisation its single-seed run would have), sums the N per-seed
losses (so each seed's gradient is its own single-seed gradient) and steps one Adam over the
stacked tensors (Adam is elementwise, so this is N independent Adams). Seed i draws its batches
from its own generator seeded like the trainer's (``make_generator(seed)``) and its noise from its
own agent's generator. The result: N stacked seeds take the same steps as N separate runs, up to
float rounding of batched vs. single matmuls — ``tests/test_stacked.py`` pins it.

``export()`` copies the stacked parameters back into the N single-seed agents, which then
evaluate, save and load like any run. Only the network parameters are copied back: optimizer
states stay in the stacked optimizer. Single-seed algorithms are unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import torch
from torch import nn

from curatedrl.algos.base import BaseConfig
from curatedrl.algos.bc import BC
from curatedrl.algos.iql import IQL
from curatedrl.algos.modules import advantage_weights
from curatedrl.algos.schedules import ema_update, warmup_cosine
from curatedrl.algos.stacked_modules import (StackedDeterministicActor, StackedGaussianActor,
                                             StackedQEnsemble, StackedValueNet, stack_into,
                                             unstack_into)
from curatedrl.algos.td3_bc import TD3BC
from curatedrl.datasets.buffer import DeviceBuffer, TransitionBatch, make_generator
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError


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


def adam_step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


class Stacked:
    """Shared scaffolding: the N single-seed agents, stacked copies of their modules, per-seed
    data generators, and ``export``."""

    single_cls: type = BC

    def __init__(self, cfg: BaseConfig, seeds: Sequence[int], obs_dim: int, act_dim: int):
        if len(set(seeds)) != len(seeds) or not seeds:
            raise CuratedRLError(f"seeds must be distinct and non-empty, got {list(seeds)}")
        self.cfg, self.seeds, self.n = cfg, list(seeds), len(seeds)
        self.device = torch.device(cfg.device)
        self.singles = [self.single_cls(dataclasses.replace(cfg, seed=s), obs_dim, act_dim)
                        for s in self.seeds]
        self.data_generators = [make_generator(s, self.device) for s in self.seeds]
        self.stacked: dict[str, nn.Module] = {}
        self.num_updates = 0
        self.fused = fused_adam_available(self.device)

    def stack(self, name: str, module: nn.Module) -> nn.Module:
        """Register ``module`` as the stacked copy of the single agents' attribute ``name``."""
        module = module.to(self.device)
        stack_into(module, [getattr(a, name) for a in self.singles])
        self.stacked[name] = module
        return module

    def adam(self, module: nn.Module, lr: float) -> torch.optim.Adam:
        """Adam over the stacked tensors: the fused kernel (one pass per tensor) where this
        build has it for the device, else PyTorch's default implementation."""
        return torch.optim.Adam(module.parameters(), lr=lr, fused=self.fused)

    def prepare(self, ds: EpisodeDataset) -> None:
        for a in self.singles:
            a.prepare(ds)

    def sample(self, buffer: DeviceBuffer) -> TransitionBatch:
        return sample_stacked(buffer, self.cfg.batch_size, self.data_generators)

    def compile(self, **kwargs) -> Stacked:
        """Opt-in: route ``update`` through ``torch.compile(**kwargs)``. Meant for CUDA, where
        ``mode="reduce-overhead"`` captures the step in CUDA graphs (the bench's GPU variant);
        CPU runs stay eager. Not exercised on a GPU in this repository's tests."""
        self.update = torch.compile(self.update, **kwargs)
        return self

    def export(self) -> list:
        """The N single-seed agents holding the stacked parameters (for evaluation and saving)."""
        for name, module in self.stacked.items():
            unstack_into(module, [getattr(a, name) for a in self.singles])
        for a in self.singles:
            a.num_updates = self.num_updates
        return self.singles

    def update(self, batch: TransitionBatch) -> dict[str, torch.Tensor]:
        """One step of every seed on its (N, B, ·) batch; (N,) metric tensors, no host sync."""
        raise NotImplementedError


class StackedBC(Stacked):
    """BC at transition level: loss of seed i = −mean log π_i(a|s) over its batch."""

    single_cls = BC

    def __init__(self, cfg, seeds, obs_dim, act_dim):
        cfg = dataclasses.replace(cfg, level="transition")
        super().__init__(cfg, seeds, obs_dim, act_dim)
        self.actor = self.stack("actor", StackedGaussianActor(self.n, obs_dim, act_dim))
        self.opt = self.adam(self.actor, cfg.lr)

    def update(self, batch):
        per_seed = -self.actor.log_prob(batch.observations, batch.actions).mean(-1)
        adam_step(self.opt, per_seed.sum())
        self.num_updates += 1
        return {"loss": per_seed.detach()}


class StackedOfflineRL(Stacked):
    """Normaliser (shared: one dataset) and per-seed noise generators of the baselines."""

    def normalize(self, obs: torch.Tensor) -> torch.Tensor:
        return self.singles[0].normalizer(obs)

    def randn(self, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.stack([torch.randn(shape, generator=a.generator, device=self.device)
                            for a in self.singles])

    def td_target(self, rewards, terminations, next_value):
        return rewards + (1.0 - terminations) * self.cfg.discount * next_value


class StackedTD3BC(StackedOfflineRL):
    """TD3+BC (``td3_bc.py``) for N seeds; λ = α / mean|Q₁| per seed."""

    single_cls = TD3BC

    def __init__(self, cfg, seeds, obs_dim, act_dim):
        super().__init__(cfg, seeds, obs_dim, act_dim)
        hd, nl, n = cfg.hidden_dim, cfg.num_layers, self.n
        self.actor = self.stack("actor", StackedDeterministicActor(n, obs_dim, act_dim, hd, nl))
        self.actor_target = self.stack("actor_target",
                                       StackedDeterministicActor(n, obs_dim, act_dim, hd, nl))
        self.critic = self.stack("critic", StackedQEnsemble(n, obs_dim, act_dim, hd, nl))
        self.critic_target = self.stack("critic_target",
                                        StackedQEnsemble(n, obs_dim, act_dim, hd, nl))
        self.actor_target.requires_grad_(False)
        self.critic_target.requires_grad_(False)
        self.actor_opt = self.adam(self.actor, cfg.actor_lr)
        self.critic_opt = self.adam(self.critic, cfg.critic_lr)
        self.last_actor = {"actor_loss": torch.zeros(n), "lambda": torch.zeros(n)}

    def update(self, batch):
        cfg = self.cfg
        self.num_updates += 1
        obs = self.normalize(batch.observations)
        next_obs = self.normalize(batch.next_observations)
        with torch.no_grad():
            act = self.actor_target(next_obs)
            noise = (self.randn(act.shape[1:]) * cfg.policy_noise).clamp(-cfg.noise_clip,
                                                                         cfg.noise_clip)
            next_q = self.critic_target(next_obs, (act + noise).clamp(-1.0, 1.0))
            target = self.td_target(batch.rewards, batch.terminations, next_q.min(1).values)
        q = self.critic(obs, batch.actions)
        critic_loss = (q - target[:, None]).pow(2).mean(-1).sum(-1)  # (N,)
        adam_step(self.critic_opt, critic_loss.sum())
        if self.num_updates % cfg.policy_delay == 0:
            pi = self.actor(obs)
            q1 = self.critic(obs, pi)[:, 0]
            lmbda = cfg.alpha / q1.abs().mean(-1).detach()
            actor_loss = -lmbda * q1.mean(-1) + (pi - batch.actions).pow(2).mean((-2, -1))
            adam_step(self.actor_opt, actor_loss.sum())
            ema_update(self.critic_target, self.critic, 1.0 - cfg.tau)
            ema_update(self.actor_target, self.actor, 1.0 - cfg.tau)
            self.last_actor = {"actor_loss": actor_loss.detach(), "lambda": lmbda}
        return {"critic_loss": critic_loss.detach(), "q_mean": q.detach().mean((-2, -1)),
                **self.last_actor}


class StackedIQL(StackedOfflineRL):
    """IQL (``iql.py``, Gaussian actor) for N seeds."""

    single_cls = IQL

    def __init__(self, cfg, seeds, obs_dim, act_dim):
        if cfg.deterministic_actor:
            raise CuratedRLError("stacked IQL implements the Gaussian actor only")
        super().__init__(cfg, seeds, obs_dim, act_dim)
        hd, nl, n = cfg.hidden_dim, cfg.num_layers, self.n
        self.actor = self.stack("actor", StackedGaussianActor(n, obs_dim, act_dim, [hd] * nl))
        self.critic = self.stack("critic", StackedQEnsemble(n, obs_dim, act_dim, hd, nl))
        self.critic_target = self.stack("critic_target",
                                        StackedQEnsemble(n, obs_dim, act_dim, hd, nl))
        self.critic_target.requires_grad_(False)
        self.value = self.stack("value", StackedValueNet(n, obs_dim, hd, nl))
        self.actor_opt = self.adam(self.actor, cfg.actor_lr)
        self.critic_opt = self.adam(self.critic, cfg.critic_lr)
        self.value_opt = self.adam(self.value, cfg.value_lr)

    def update(self, batch):
        cfg = self.cfg
        obs = self.normalize(batch.observations)
        next_obs = self.normalize(batch.next_observations)
        with torch.no_grad():
            target_q = self.critic_target(obs, batch.actions).min(1).values
            next_v = self.value(next_obs)
        v = self.value(obs)
        adv = target_q - v
        weight = torch.where(adv < 0, 1.0 - cfg.expectile, cfg.expectile)
        value_loss = (weight * adv.pow(2)).mean(-1)
        adam_step(self.value_opt, value_loss.sum())

        rewards = batch.rewards * self.singles[0].reward_scale
        target = self.td_target(rewards, batch.terminations, next_v)
        q = self.critic(obs, batch.actions)
        critic_loss = (q - target[:, None]).pow(2).mean(-1).mean(-1)
        adam_step(self.critic_opt, critic_loss.sum())
        ema_update(self.critic_target, self.critic, 1.0 - cfg.tau)

        weights = advantage_weights(adv.detach(), cfg.beta, cfg.weight_clip)
        actor_loss = (weights * -self.actor.log_prob(obs, batch.actions)).mean(-1)
        lr = cfg.actor_lr * warmup_cosine(self.num_updates, 0, cfg.steps)
        for group in self.actor_opt.param_groups:
            group["lr"] = lr
        adam_step(self.actor_opt, actor_loss.sum())
        self.num_updates += 1
        return {"value_loss": value_loss.detach(), "critic_loss": critic_loss.detach(),
                "actor_loss": actor_loss.detach(), "q_mean": q.detach().mean((-2, -1)),
                "v_mean": v.detach().mean(-1)}


STACKED: dict[str, type[Stacked]] = {"bc": StackedBC, "td3_bc": StackedTD3BC, "iql": StackedIQL}
