"""CQL, conservative Q-learning (Kumar et al. 2020, arXiv 2006.04779), as in CORL's cql.py
(itself a port of young-geng/CQL) with CORL's locomotion settings: CQL(H) with importance
sampling, fixed α (no Lagrange), no max-target backup, no entropy in the backup.

Each step, on a batch (s, a, r, s'), with a tanh-Gaussian actor π and twin critics Q_1, Q_2:
    entropy: L_α = −mean log α · (log π(ã|s) + target_entropy),  ã ~ π(·|s), target −act_dim
    actor:   L_π = mean α log π(ã|s) − min_i Q_i(s, ã)
    critic:  L_Q = Σ_i mean (Q_i(s, a) − (r + γ (1 − done) min_j Q'_j(s', ã')))² + α_cql · P_i,
             P_i = mean_s [log Σ_{a'} exp(Q_i(s, a') − log μ(a'|s)) − Q_i(s, a)]
where the a' are n uniform actions (μ = 2^−act_dim), n actions of π(·|s) and n actions of
π(·|s') (all evaluated at s, as in the reference code) with μ their π density. All losses are
formed with the networks of the start of the step, then α, π and Q take one Adam step each; the
targets follow by polyak averaging. States are normalised with the dataset's mean and std.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from curatedrl.algos.networks import QEnsemble, TanhGaussianActor
from curatedrl.algos.offline_rl import OfflineRL, OfflineRLConfig, require
from curatedrl.datasets.buffer import TransitionBatch


@dataclass
class CQLConfig(OfflineRLConfig):
    """CQL. Defaults: CORL's locomotion configs (configs/offline/cql/{hopper,walker2d,
    halfcheetah}/*.yaml), which differ from the paper in the actor learning rate.

    Attributes:
        steps: gradient steps (CORL: 1,000,000).
        batch_size: transitions per batch (paper, CORL: 256).
        eval_every: steps between evaluations (CORL: 5,000).
        eval_episodes: episodes per periodic evaluation (CORL: 10).
        actor_lr: Adam learning rate of the actor and of log α (CORL locomotion: 3e-5;
            the paper: 1e-4).
        critic_lr: Adam learning rate of the critics (paper, CORL: 3e-4).
        cql_alpha: weight α_cql of the conservative penalty (CORL locomotion: 10; the paper's
            Gym runs: 5 or 10).
        cql_n_actions: actions sampled per state from each of the three proposals (paper,
            CORL: 10).
        discount: γ (paper, CORL: 0.99).
        tau: target-critic update rate (CORL: 5e-3).
        hidden_dim: width of the actor and critic MLPs (CORL: 256).
        num_layers: hidden layers of the actor and critic MLPs (CORL: 3).
        seed, dataset, final_eval_episodes, device, deterministic: as in ``BaseConfig``.
        checkpoint_every: steps between resume checkpoints (5,000 = eval_every; see
            ``BaseConfig``).
    """

    actor_lr: float = 3e-5
    cql_alpha: float = 10.0
    cql_n_actions: int = 10
    num_layers: int = 3

    def validate(self) -> None:
        super().validate()
        require(self.cql_alpha >= 0, f"cql_alpha must be >= 0, got {self.cql_alpha}")
        require(self.cql_n_actions >= 1,
                f"cql_n_actions must be positive, got {self.cql_n_actions}")


def cql_penalty(q_data: torch.Tensor, q_sampled: torch.Tensor, log_density: torch.Tensor
                ) -> torch.Tensor:
    """Per-critic conservative term mean_s [logsumexp_a' (Q(s, a') − log μ(a'|s)) − Q(s, a)].

    Args:
        q_data: (n, B) Q of the dataset actions.
        q_sampled: (n, B, M) Q of the M sampled actions.
        log_density: (B, M) log-density of the proposal each sampled action came from.
    Returns:
        (n,) one value per critic; positive where the sampled actions' Q dominates the data's.
    """
    return (torch.logsumexp(q_sampled - log_density, dim=-1) - q_data).mean(-1)


def corl_init(actor: TanhGaussianActor, critic: QEnsemble) -> None:
    """CORL's CQL initialisation: critics orthogonal (gain √2, last layer 1e-2, zero biases);
    the actor's last layer Xavier-uniform with gain 1e-2 and zero bias."""
    layers = critic.linears()
    with torch.no_grad():
        for i, layer in enumerate(layers):
            gain = 1e-2 if i == len(layers) - 1 else math.sqrt(2.0)
            for w in layer.weight:
                nn.init.orthogonal_(w, gain=gain)
            layer.bias.zero_()
        nn.init.xavier_uniform_(actor.net[-1].weight, gain=1e-2)
        actor.net[-1].bias.zero_()


class LogAlpha(nn.Module):
    """log α, the entropy temperature, as a module (so it stacks over seeds like the networks);
    its state dict is ``{"log_alpha": tensor}``."""

    def __init__(self, device: torch.device):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.zeros((), device=device))

    def forward(self) -> torch.Tensor:
        return self.log_alpha


class CQL(OfflineRL):
    config_cls = CQLConfig

    def __init__(self, cfg: CQLConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        actor = TanhGaussianActor(obs_dim, act_dim, cfg.hidden_dim,
                                  cfg.num_layers).to(self.device)
        critic = QEnsemble(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers).to(self.device)
        corl_init(actor, critic)
        self.set_actor_critic(actor, critic)
        self.log_alpha_holder = LogAlpha(self.device)
        self.log_alpha = self.log_alpha_holder.log_alpha
        self.target_entropy = -float(act_dim)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=cfg.actor_lr)
        self.parts.update(log_alpha=self.log_alpha_holder, alpha_opt=self.alpha_opt)

    def draw_noise(self, batch_size: int) -> dict[str, torch.Tensor]:
        """The step's random draws, in the order the reference code makes them: ε of the actor's
        action at s and at s', then per state n uniform actions and n ε at s and at s'."""
        n, act = self.cfg.cql_n_actions, self.act_dim
        return {"pi": self.nets.randn((batch_size, act)),
                "next": self.nets.randn((batch_size, act)),
                "uniform": self.nets.rand((batch_size, n, act)) * 2.0 - 1.0,
                "cur_n": self.nets.randn((batch_size, n, act)),
                "next_n": self.nets.randn((batch_size, n, act))}

    def losses(self, nets, obs, batch: TransitionBatch, next_obs, noise):
        """The temperature, actor and critic losses from the networks at the start of the step,
        and the step's metrics."""
        cfg, n = self.cfg, self.cfg.cql_n_actions
        # entropy temperature and actor, from the current critics
        log_alpha = nets.log_alpha()
        new_act, log_pi = nets.actor.sample(obs, noise["pi"])
        alpha_loss = -(log_alpha * (log_pi.detach() + self.target_entropy)).mean()
        alpha = log_alpha.exp().detach()
        actor_loss = (alpha * log_pi - nets.critic(obs, new_act).min(0).values).mean()

        # critic: TD error plus the conservative penalty
        with torch.no_grad():
            next_act, _ = nets.actor.sample(next_obs, noise["next"])
            next_q = nets.critic_target(next_obs, next_act).min(0).values
            target = self.td_target(batch.rewards, batch.terminations, next_q)
            rand_act = noise["uniform"]
            obs_n = obs.unsqueeze(1).expand(-1, n, -1)
            cur_act, cur_log_pi = nets.actor.sample(obs_n, noise["cur_n"])
            nxt_act, nxt_log_pi = nets.actor.sample(next_obs.unsqueeze(1).expand(-1, n, -1),
                                                    noise["next_n"])
            rand_log_density = torch.full_like(cur_log_pi, -self.act_dim * math.log(2.0))
        q = nets.critic(obs, batch.actions)
        td_loss = (q - target).pow(2).mean(1).sum()
        sampled = torch.cat([rand_act, nxt_act, cur_act], dim=1)
        q_sampled = nets.critic(obs.unsqueeze(1).expand(-1, 3 * n, -1), sampled)
        log_density = torch.cat([rand_log_density, nxt_log_pi, cur_log_pi], dim=1)
        penalty = cql_penalty(q, q_sampled, log_density)
        critic_loss = td_loss + cfg.cql_alpha * penalty.sum()
        return {"critic_loss": critic_loss, "td_loss": td_loss.detach(),
                "cql_penalty": penalty.detach().mean(), "actor_loss": actor_loss, "alpha": alpha,
                "alpha_loss": alpha_loss, "log_pi": log_pi.detach().mean(),
                "q_mean": q.detach().mean()}

    def update(self, batch: TransitionBatch) -> dict[str, float]:
        nets = self.nets
        self.num_updates += 1
        obs = self.normalizer(batch.observations)
        next_obs = self.normalizer(batch.next_observations)
        noise = self.draw_noise(self.action_shape(batch)[0])
        out = nets.apply(self.losses, obs, batch, next_obs, noise)
        nets.step("alpha_opt", out["alpha_loss"])
        nets.step("actor_opt", out["actor_loss"])
        nets.step("critic_opt", out["critic_loss"])
        nets.polyak("critic_target", "critic", self.cfg.tau)
        return nets.metrics(out)
