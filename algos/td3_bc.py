"""TD3+BC (Fujimoto & Gu 2021, arXiv 2106.06860): TD3 whose actor loss adds a BC term,

    L_actor = −λ · mean Q₁(s, π(s)) + mean (π(s) − a)²,   λ = α / mean |Q₁(s, π(s))| (no gradient),

with twin critics trained on r + γ (1 − done) min_i Q'_i(s', clip(π'(s') + ε, −1, 1)),
ε = clip(N(0, σ²), −c, c); the actor and the targets are updated every ``policy_delay`` steps.
States are normalised with the dataset's mean and std. Follows CORL's td3_bc.py.
"""

from __future__ import annotations

from dataclasses import dataclass
import torch
import torch.nn.functional as F

from curatedrl.algos.networks import DeterministicActor, QEnsemble
from curatedrl.algos.offline_rl import OfflineRL, OfflineRLConfig, require
from curatedrl.datasets.buffer import TransitionBatch


@dataclass
class TD3BCConfig(OfflineRLConfig):
    """TD3+BC. Defaults: the paper (Fujimoto & Gu 2021) and CORL, which agree.

    Attributes:
        steps: gradient steps (paper, CORL: 1,000,000).
        batch_size: transitions per batch (paper, CORL: 256).
        eval_every: steps between evaluations (CORL: 5,000).
        eval_episodes: episodes per periodic evaluation (CORL: 10).
        actor_lr: Adam learning rate of the actor (paper, CORL: 3e-4).
        critic_lr: Adam learning rate of the critics (paper, CORL: 3e-4).
        alpha: α of λ = α / mean|Q| (paper, CORL: 2.5); 0 gives pure BC.
        discount: γ (paper, CORL: 0.99).
        tau: target update rate τ (paper, CORL: 0.005).
        policy_noise: σ of the target-policy smoothing noise (paper, CORL: 0.2).
        noise_clip: c, the clip of that noise (paper, CORL: 0.5).
        policy_delay: critic updates per actor and target update (paper, CORL: 2).
        hidden_dim: width of the actor and critic MLPs (paper, CORL: 256).
        num_layers: hidden layers of the actor and critic MLPs (paper, CORL: 2).
        seed, dataset, final_eval_episodes, device, deterministic: as in ``BaseConfig``.
        checkpoint_every: steps between resume checkpoints (5,000 = eval_every; see
            ``BaseConfig``).
    """

    alpha: float = 2.5
    policy_noise: float = 0.2
    noise_clip: float = 0.5
    policy_delay: int = 2

    def validate(self) -> None:
        super().validate()
        require(self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}")
        require(self.policy_noise >= 0 and self.noise_clip >= 0,
                "policy_noise and noise_clip must be >= 0")
        require(self.policy_delay >= 1, f"policy_delay must be >= 1, got {self.policy_delay}")


def td3_bc_actor_loss(q: torch.Tensor, pi: torch.Tensor, actions: torch.Tensor, alpha: float
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """(−λ · mean Q + mean (π − a)², λ) with λ = α / mean |Q| held constant."""
    lmbda = alpha / q.abs().mean().detach()
    return -lmbda * q.mean() + F.mse_loss(pi, actions), lmbda


class TD3BC(OfflineRL):
    config_cls = TD3BCConfig

    def __init__(self, cfg: TD3BCConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        self.set_actor_critic(
            DeterministicActor(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers).to(self.device),
            QEnsemble(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers).to(self.device),
            actor_target=True)
        self.last_actor = {"actor_loss": 0.0, "lambda": 0.0}

    def critic_loss(self, nets, obs, batch: TransitionBatch, next_obs, noise):
        with torch.no_grad():
            next_act = self.smoothed_target_action(nets, next_obs, noise)
            next_q = nets.critic_target(next_obs, next_act)
            target = self.td_target(batch.rewards, batch.terminations, next_q.min(0).values)
        q, loss = self.critic_mse(nets, obs, batch.actions, target)
        return loss, q.detach().mean()

    def actor_loss(self, nets, obs, actions):
        pi = nets.actor(obs)
        return td3_bc_actor_loss(nets.critic(obs, pi)[0], pi, actions, self.cfg.alpha)

    def update(self, batch: TransitionBatch) -> dict[str, float]:
        cfg, nets = self.cfg, self.nets
        self.num_updates += 1
        obs = self.normalizer(batch.observations)
        next_obs = self.normalizer(batch.next_observations)

        noise = self.target_noise(self.action_shape(batch))
        critic_loss, q_mean = nets.apply(self.critic_loss, obs, batch, next_obs, noise)
        nets.step("critic_opt", critic_loss)

        if self.num_updates % cfg.policy_delay == 0:
            actor_loss, lmbda = nets.apply(self.actor_loss, obs, batch.actions)
            nets.step("actor_opt", actor_loss)
            nets.polyak("critic_target", "critic", cfg.tau)
            nets.polyak("actor_target", "actor", cfg.tau)
            self.last_actor = nets.metrics({"actor_loss": actor_loss, "lambda": lmbda})
        return {**nets.metrics({"critic_loss": critic_loss, "q_mean": q_mean}), **self.last_actor}
