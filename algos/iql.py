"""IQL, implicit Q-learning (Kostrikov et al. 2021, arXiv 2110.06169), as in CORL's iql.py.

Each step, on a batch (s, a, r, s'):
    value:  L_V = mean |τ − 1(u < 0)| u²,  u = min_i Q'_i(s, a) − V(s)          (expectile τ)
    critic: L_Q = mean_i mean (Q_i(s, a) − (r̃ + γ (1 − done) V(s')))², then Q' ← polyak(Q)
    actor:  L_π = mean min(exp(β u), 100) · ℓ(s, a), ℓ = −log π(a|s) (Gaussian actor) or
            ‖π(s) − a‖² (deterministic actor); actor learning rate cosine-decayed to 0 at ``steps``.
r̃ = r · 1000 / (max episode return − min episode return) (CORL's locomotion normalisation).
States are normalised with the dataset's mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from curatedrl.algos.base import StageOne
from curatedrl.algos.losses import advantage_weights, expectile_loss
from curatedrl.algos.networks import DeterministicActor, GaussianActor, QEnsemble, ValueNet
from curatedrl.algos.offline_rl import OfflineRL, OfflineRLConfig, require
from curatedrl.algos.schedules import warmup_cosine
from curatedrl.datasets.buffer import TransitionBatch
from curatedrl.datasets.episodes import EpisodeDataset

REWARD_SCALE_STEPS = 1000.0  # CORL: rewards · max_episode_steps / (max return − min return)


@dataclass
class IQLConfig(OfflineRLConfig):
    """IQL. Defaults: the paper's locomotion settings as run by CORL (configs/offline/iql).

    Known difference from CORL's iql.py (float64 lock-step comparison on hopper medium-replay):
    the Gaussian actor is the suite's shared ``GaussianActor``, whose log σ is clamped to
    [−5, 2]; CORL's IQL clamps it to [−20, 2]. It matters only where σ < e^−5 ≈ 0.0067.

    Attributes:
        steps: gradient steps (paper, CORL: 1,000,000); also the length of the actor's cosine
            learning-rate decay.
        batch_size: transitions per batch (paper, CORL: 256).
        eval_every: steps between evaluations (CORL: 5,000).
        eval_episodes: episodes per periodic evaluation (CORL: 10).
        actor_lr: initial Adam learning rate of the actor, cosine-decayed to 0 (paper, CORL: 3e-4).
        critic_lr: Adam learning rate of the twin Q (paper, CORL: 3e-4).
        value_lr: Adam learning rate of V (paper, CORL: 3e-4).
        expectile: τ of the value expectile regression (paper, CORL locomotion: 0.7).
        beta: inverse temperature β of the advantage weights (paper, CORL locomotion: 3.0).
        weight_clip: upper clamp of exp(β A) (paper, CORL: 100).
        discount: γ (paper, CORL: 0.99).
        tau: target-critic update rate (paper, CORL: 0.005).
        deterministic_actor: tanh MLP actor with squared-error weighted BC instead of the
            Gaussian actor (CORL's ``iql_deterministic``; CORL locomotion: False).
        normalize_reward: scale rewards by 1000 / (max − min episode return) (CORL locomotion:
            True).
        hidden_dim: width of every MLP (paper, CORL: 256).
        num_layers: hidden layers of every MLP (paper, CORL: 2).
        seed, dataset, final_eval_episodes, device, deterministic: as in ``BaseConfig``.
        checkpoint_every: steps between resume checkpoints (5,000 = eval_every; see
            ``BaseConfig``).
    """

    value_lr: float = 3e-4
    expectile: float = 0.7
    beta: float = 3.0
    weight_clip: float = 100.0
    deterministic_actor: bool = False
    normalize_reward: bool = True

    def validate(self) -> None:
        super().validate()
        require(0.0 < self.expectile < 1.0, f"expectile must lie in (0, 1), got {self.expectile}")
        require(self.beta >= 0, f"beta must be >= 0, got {self.beta}")
        require(self.weight_clip > 0, f"weight_clip must be positive, got {self.weight_clip}")


def reward_scale(ds: EpisodeDataset) -> float:
    """1000 / (max − min) of the episode returns; 1 when all returns are equal."""
    spread = float(ds.returns.max() - ds.returns.min())
    return REWARD_SCALE_STEPS / spread if spread > 0 else 1.0


class IQL(OfflineRL):
    config_cls = IQLConfig

    def __init__(self, cfg: IQLConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        hidden = [cfg.hidden_dim] * cfg.num_layers
        if cfg.deterministic_actor:
            actor = DeterministicActor(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers)
        else:
            actor = GaussianActor(obs_dim, act_dim, hidden)
        critic = QEnsemble(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers).to(self.device)
        self.set_actor_critic(actor.to(self.device), critic)
        self.value = ValueNet(obs_dim, cfg.hidden_dim, cfg.num_layers).to(self.device)
        self.value_opt = torch.optim.Adam(self.value.parameters(), lr=cfg.value_lr)
        self.parts.update(value=self.value, value_opt=self.value_opt)
        self.reward_scale = 1.0

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        info = super().prepare(ds, stage_one, info)
        if self.cfg.normalize_reward:
            self.reward_scale = reward_scale(ds)
        return info

    def bc_losses(self, nets, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Per-sample ℓ(s, a): −log π(a|s), or ‖π(s) − a‖² for the deterministic actor."""
        if self.cfg.deterministic_actor:
            return (nets.actor(obs) - actions).pow(2).sum(-1)
        return -nets.actor.log_prob(obs, actions)

    def losses(self, nets, obs, batch: TransitionBatch, next_obs):
        """The value, critic and actor losses, all from the networks at the start of the step
        (no loss reads a network another one steps), and the step's metrics."""
        cfg = self.cfg
        with torch.no_grad():
            target_q = nets.critic_target(obs, batch.actions).min(0).values
            next_v = nets.value(next_obs)
        v = nets.value(obs)
        adv = target_q - v
        value_loss = expectile_loss(adv, cfg.expectile)

        rewards = batch.rewards * self.reward_scale
        target = self.td_target(rewards, batch.terminations, next_v)
        q = nets.critic(obs, batch.actions)
        critic_loss = (q - target).pow(2).mean(1).mean()  # CORL: mean of the critics' MSEs

        weights = advantage_weights(adv.detach(), cfg.beta, cfg.weight_clip)
        actor_loss = (weights * self.bc_losses(nets, obs, batch.actions)).mean()
        return {"value_loss": value_loss, "critic_loss": critic_loss, "actor_loss": actor_loss,
                "q_mean": q.detach().mean(), "v_mean": v.detach().mean(),
                "weight_mean": weights.mean()}

    def update(self, batch: TransitionBatch) -> dict[str, float]:
        cfg, nets = self.cfg, self.nets
        obs = self.normalizer(batch.observations)
        next_obs = self.normalizer(batch.next_observations)
        out = nets.apply(self.losses, obs, batch, next_obs)
        nets.step("value_opt", out["value_loss"])
        nets.step("critic_opt", out["critic_loss"])
        nets.polyak("critic_target", "critic", cfg.tau)
        lr = cfg.actor_lr * warmup_cosine(self.num_updates, 0, cfg.steps)  # CosineAnnealingLR
        nets.set_lr("actor_opt", lr)
        nets.step("actor_opt", out["actor_loss"])
        self.num_updates += 1
        return nets.metrics({**out, "actor_lr": lr})

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "reward_scale": self.reward_scale}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.reward_scale = float(state["reward_scale"])
