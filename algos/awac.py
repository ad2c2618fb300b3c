"""AWAC, advantage-weighted actor-critic (Nair et al. 2020, arXiv 2006.09359), offline phase, as
in CORL's awac.py.

Each step, on a batch (s, a, r, s'), with a Gaussian actor π and twin critics:
    critic: L_Q = Σ_i mean (Q_i(s, a) − (r + γ (1 − done) min_j Q'_j(s', a')))²,  a' ~ π(·|s')
    actor:  L_π = −mean w · log π(a|s),  w = min(exp(A / λ), 100),
            A = min_i Q_i(s, a) − min_i Q_i(s, ã), ã ~ π(·|s) (after the critic step)
then Q' ← polyak(Q). Sampled actions are clipped to [−1, 1]. States are normalised with the
dataset's mean and std.

The actor is the BC family's ``GaussianActor`` (tanh mean, one learned log-std per dimension,
clamped to [−5, 2]); CORL's has an unsquashed mean clipped at evaluation and log-std in [−20, 2].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from curatedrl.algos.losses import advantage_weights
from curatedrl.algos.networks import GaussianActor, QEnsemble
from curatedrl.algos.offline_rl import OfflineRL, OfflineRLConfig, require
from curatedrl.datasets.buffer import TransitionBatch


@dataclass
class AWACConfig(OfflineRLConfig):
    """AWAC. Defaults: the paper's λ and CORL's networks and optimiser.

    Attributes:
        steps: gradient steps (CORL: 1,000,000).
        batch_size: transitions per batch (paper, CORL: 256).
        eval_every: steps between evaluations (CORL evaluates every 1,000; 5,000 here as for the
            other baselines).
        eval_episodes: episodes per periodic evaluation (CORL: 10).
        actor_lr: Adam learning rate of the actor (paper, CORL: 3e-4).
        critic_lr: Adam learning rate of the critics (paper, CORL: 3e-4).
        awac_lambda: λ, the temperature of exp(A / λ) (paper: 1/3, i.e. β = 3 in A · β;
            CORL's D4RL runs use 1.0).
        weight_clip: upper clamp of exp(A / λ) (CORL: 100).
        discount: γ (paper, CORL: 0.99).
        tau: target-critic update rate (CORL: 5e-3).
        hidden_dim: width of the actor and critic MLPs (CORL: 256).
        num_layers: hidden layers of the actor and critic MLPs (CORL: 3).
        seed, dataset, final_eval_episodes, device, deterministic: as in ``BaseConfig``.
        checkpoint_every: steps between resume checkpoints (5,000 = eval_every; see
            ``BaseConfig``).
    """

    awac_lambda: float = 1.0 / 3.0
    weight_clip: float = 100.0
    num_layers: int = 3

    def validate(self) -> None:
        super().validate()
        require(self.awac_lambda > 0, f"awac_lambda must be positive, got {self.awac_lambda}")
        require(self.weight_clip > 0, f"weight_clip must be positive, got {self.weight_clip}")


def sample_actions(actor: GaussianActor, obs: torch.Tensor, noise: torch.Tensor
                   ) -> torch.Tensor:
    """a = mean(s) + std · noise (noise standard normal, one per action entry), clipped to
    [−1, 1]."""
    mean = actor.mean(obs)
    return (mean + actor.log_std_clamped().exp() * noise).clamp(-1.0, 1.0)


class AWAC(OfflineRL):
    config_cls = AWACConfig

    def __init__(self, cfg: AWACConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        hidden = [cfg.hidden_dim] * cfg.num_layers
        self.set_actor_critic(
            GaussianActor(obs_dim, act_dim, hidden).to(self.device),
            QEnsemble(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers).to(self.device))

    def critic_loss(self, nets, obs, batch: TransitionBatch, next_obs, noise):
        with torch.no_grad():
            next_act = sample_actions(nets.actor, next_obs, noise)
            next_q = nets.critic_target(next_obs, next_act).min(0).values
            target = self.td_target(batch.rewards, batch.terminations, next_q)
        q, loss = self.critic_mse(nets, obs, batch.actions, target)
        return loss, q.detach().mean()

    def actor_loss(self, nets, obs, actions, noise):
        """The advantage-weighted NLL, with A from the critics just stepped."""
        with torch.no_grad():
            pi_act = sample_actions(nets.actor, obs, noise)
            adv = nets.critic(obs, actions).min(0).values - nets.critic(obs, pi_act).min(0).values
            weights = advantage_weights(adv, 1.0 / self.cfg.awac_lambda, self.cfg.weight_clip)
        loss = -(weights * nets.actor.log_prob(obs, actions)).mean()
        return loss, adv.mean(), weights.mean()

    def update(self, batch: TransitionBatch) -> dict[str, float]:
        nets = self.nets
        self.num_updates += 1
        obs = self.normalizer(batch.observations)
        next_obs = self.normalizer(batch.next_observations)
        shape = self.action_shape(batch)
        next_noise, noise = nets.randn(shape), nets.randn(shape)

        critic_loss, q_mean = nets.apply(self.critic_loss, obs, batch, next_obs, next_noise)
        nets.step("critic_opt", critic_loss)
        actor_loss, adv_mean, weight_mean = nets.apply(self.actor_loss, obs, batch.actions, noise)
        nets.step("actor_opt", actor_loss)
        nets.polyak("critic_target", "critic", self.cfg.tau)
        return nets.metrics({"critic_loss": critic_loss, "actor_loss": actor_loss,
                             "q_mean": q_mean, "adv_mean": adv_mean, "weight_mean": weight_mean})
