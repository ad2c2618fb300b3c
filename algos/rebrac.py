"""ReBRAC (Tarasov et al. 2023, arXiv 2305.09836): TD3+BC revisited, as in CORL's rebrac.py.

Each step, on a batch (s, a, r, s') whose next dataset action is a_next:
    critic: ã' = clip(π'(s') + clip(N(0, σ²), −c, c), −1, 1),
            y = r + γ (1 − done) (min_i Q'_i(s', ã') − β_critic ‖ã' − a_next‖²),
            L_Q = Σ_i mean (Q_i(s, a) − y)²
    actor (every ``policy_delay`` steps, from the first): with q = min_i Q_i(s, π(s)),
            L_π = mean β_actor ‖π(s) − a‖² − q / mean|q|   (mean|q| held constant),
            then π' and Q' ← polyak.
Critics have LayerNorm after every hidden ReLU; large batches (1024) and Adam 1e-3. States are
normalised with the dataset's mean and std (``normalize_states``; ReBRAC's own code defaults to
off).

Known differences from CORL's rebrac.py, found by a float64 lock-step comparison on hopper
medium-replay (kept, so that committed results stay reproducible by this code; each is small):
- the critics' LayerNorm uses torch's eps 1e-5 (``nn.LayerNorm``'s default), where ReBRAC's flax
  code uses 1e-6;
- the actor target is averaged toward the actor *after* this step's Adam update (``polyak``
  right after ``nets.step("actor_opt")``), where CORL's target lags one step behind.
With both aligned the two implementations agree step by step.

a_next comes with the batch (``TransitionBatch.next_actions``, the action at the following step
of the same episode). Steps with no following step in the dataset (last step of an episode) get
no critic penalty; at terminal steps the term is multiplied by (1 − done) anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from curatedrl.algos.base import StageOne
from curatedrl.algos.networks import DeterministicActor, QEnsemble
from curatedrl.algos.offline_rl import OfflineRL, OfflineRLConfig, require
from curatedrl.datasets.buffer import TransitionBatch
from curatedrl.datasets.episodes import EpisodeDataset


@dataclass
class ReBRACConfig(OfflineRLConfig):
    """ReBRAC. Defaults: the paper and CORL's rebrac.py; β_actor and β_critic are the brief's
    locomotion defaults. The paper tunes both per dataset: those values belong in the benchmark
    configs (benchmarks/suites/configs), not here.

    Attributes:
        steps: gradient steps (paper, CORL: 1,000 epochs × 1,000 = 1,000,000).
        batch_size: transitions per batch (paper, CORL: 1024).
        eval_every: steps between evaluations (CORL: every 5 epochs = 5,000 steps).
        eval_episodes: episodes per periodic evaluation (CORL: 10).
        actor_lr: Adam learning rate of the actor (paper, CORL: 1e-3).
        critic_lr: Adam learning rate of the critics (paper, CORL: 1e-3).
        beta_actor: weight of the actor's BC penalty ‖π(s) − a‖² (locomotion default 0.001;
            per dataset in the paper's tables).
        beta_critic: weight of the critic's BC penalty ‖ã' − a_next‖² (locomotion default 0.01;
            per dataset in the paper's tables).
        discount: γ (paper, CORL: 0.99).
        tau: target update rate (paper, CORL: 5e-3).
        policy_noise: σ of the target-policy smoothing noise (paper, CORL: 0.2).
        noise_clip: c, the clip of that noise (paper, CORL: 0.5).
        policy_delay: critic updates per actor and target update (paper, CORL: 2).
        hidden_dim: width of the actor and critic MLPs (paper, CORL: 256).
        num_layers: hidden layers of the actor and of the critics (paper, CORL: 3).
        normalize_states: normalise states with the dataset's mean and std (the brief: on;
            CORL's and ReBRAC's code: off).
        seed, dataset, final_eval_episodes, device, deterministic: as in ``BaseConfig``.
        checkpoint_every: steps between resume checkpoints (5,000 = eval_every; see
            ``BaseConfig``).
    """

    batch_size: int = 1024
    actor_lr: float = 1e-3
    critic_lr: float = 1e-3
    beta_actor: float = 0.001
    beta_critic: float = 0.01
    policy_noise: float = 0.2
    noise_clip: float = 0.5
    policy_delay: int = 2
    num_layers: int = 3
    normalize_states: bool = True

    def validate(self) -> None:
        super().validate()
        require(self.beta_actor >= 0 and self.beta_critic >= 0,
                f"beta_actor and beta_critic must be >= 0, got {self.beta_actor}, "
                f"{self.beta_critic}")
        require(self.policy_noise >= 0 and self.noise_clip >= 0,
                "policy_noise and noise_clip must be >= 0")
        require(self.policy_delay >= 1, f"policy_delay must be >= 1, got {self.policy_delay}")


def rebrac_init(actor: DeterministicActor, critic: QEnsemble) -> None:
    """ReBRAC's initialisation: hidden biases 0.1; last layers uniform in ±1e-3 (actor) and
    ±3e-3 (critic), weights and biases. Hidden weights keep PyTorch's default, as in ReBRAC."""
    actor_linears = [m for m in actor.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layers, bound in ((actor_linears, 1e-3), (critic.linears(), 3e-3)):
            for layer in layers[:-1]:
                layer.bias.fill_(0.1)
            nn.init.uniform_(layers[-1].weight, -bound, bound)
            nn.init.uniform_(layers[-1].bias, -bound, bound)


class ReBRAC(OfflineRL):
    config_cls = ReBRACConfig

    def __init__(self, cfg: ReBRACConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        actor = DeterministicActor(obs_dim, act_dim, cfg.hidden_dim,
                                   cfg.num_layers).to(self.device)
        critic = QEnsemble(obs_dim, act_dim, cfg.hidden_dim, cfg.num_layers,
                           layer_norm=True).to(self.device)
        rebrac_init(actor, critic)
        self.set_actor_critic(actor, critic, actor_target=True)
        self.last_actor = {"actor_loss": 0.0, "actor_bc": 0.0}

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.cfg.normalize_states:
            return super().prepare(ds, stage_one, info)
        return dict(info or {})

    def critic_target_values(self, batch: TransitionBatch, next_obs: torch.Tensor,
                             noise: torch.Tensor | None = None, nets=None
                             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(y, critic BC penalty ‖ã' − a_next‖² per sample, 0 where a_next is unknown).

        ``noise``: the target-policy noise (drawn from the agent's generator if None); ``nets``:
        the networks (the agent's own if None)."""
        nets = self.nets.view() if nets is None else nets
        noise = self.target_noise(self.action_shape(batch)) if noise is None else noise
        next_act = self.smoothed_target_action(nets, next_obs, noise)
        penalty = (next_act - batch.next_actions).pow(2).sum(-1) * batch.has_next_action
        next_q = nets.critic_target(next_obs, next_act).min(0).values
        return self.td_target(batch.rewards, batch.terminations,
                              next_q - self.cfg.beta_critic * penalty), penalty

    def critic_loss(self, nets, obs, batch: TransitionBatch, next_obs, noise):
        with torch.no_grad():
            target, critic_bc = self.critic_target_values(batch, next_obs, noise, nets)
        q, loss = self.critic_mse(nets, obs, batch.actions, target)
        return loss, critic_bc.mean(), q.detach().mean()

    def actor_loss(self, nets, obs, actions):
        pi = nets.actor(obs)
        q_pi = nets.critic(obs, pi).min(0).values
        bc = (pi - actions).pow(2).sum(-1)
        loss = (self.cfg.beta_actor * bc - q_pi / q_pi.abs().mean().detach()).mean()
        return loss, bc.detach().mean()

    def update(self, batch: TransitionBatch) -> dict[str, float]:
        cfg, nets = self.cfg, self.nets
        obs = self.normalizer(batch.observations)
        next_obs = self.normalizer(batch.next_observations)

        noise = self.target_noise(self.action_shape(batch))
        critic_loss, critic_bc, q_mean = nets.apply(self.critic_loss, obs, batch, next_obs, noise)
        nets.step("critic_opt", critic_loss)

        if self.num_updates % cfg.policy_delay == 0:  # ReBRAC: steps 0, 2, 4, ...
            actor_loss, actor_bc = nets.apply(self.actor_loss, obs, batch.actions)
            nets.step("actor_opt", actor_loss)
            nets.polyak("actor_target", "actor", cfg.tau)
            nets.polyak("critic_target", "critic", cfg.tau)
            self.last_actor = nets.metrics({"actor_loss": actor_loss, "actor_bc": actor_bc})
        self.num_updates += 1
        return {**nets.metrics({"critic_loss": critic_loss, "critic_bc": critic_bc,
                                "q_mean": q_mean}), **self.last_actor}
