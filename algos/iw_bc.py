"""Importance-weighted BC (iw-BC): filtered BC whose episodes are weighted to tighten the bound.

q is an exponential moving average of the learner (decay 0.9, updated every step before the loss,
log-std included). Episode weight

    w(τ) = clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, 1000),  log q(τ) = Σ_t log q(a_t|s_t)

divided by the batch sum; loss = Σ_τ w(τ) · (−log π_θ(τ) / T). At temp = 0 this is filtered BC.
The per-step variant weights each step by clamp(exp(temp · (log q − log π_ref)), 0, 2).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.nll import episode_log_probs
from curatedrl.algos.schedules import ema_update
from curatedrl.datasets.buffer import EpisodeBatch
from curatedrl.errors import CuratedRLError


@dataclass
class IWBCConfig(FilteredBCConfig):
    """iw-BC: filtered BC's fields plus the importance weights (paper defaults).

    Attributes:
        temperature: temp in the weight exponent (paper: 10); 0 gives filtered BC.
        ema_decay: decay of q, the moving average of the learner (paper: 0.9).
        weight_clip: upper clamp of episode weights before normalisation (paper: 1000).
        per_step: weight each step instead of each episode.
        step_weight_clip: upper clamp of per-step weights (paper: 2).
    """

    temperature: float = 10.0
    ema_decay: float = 0.9
    weight_clip: float = 1000.0
    per_step: bool = False
    step_weight_clip: float = 2.0

    def validate(self) -> None:
        super().validate()
        if not 0.0 <= self.ema_decay < 1.0:
            raise CuratedRLError(f"ema_decay must lie in [0, 1), got {self.ema_decay}")
        if self.weight_clip <= 0 or self.step_weight_clip <= 0:
            raise CuratedRLError("weight_clip and step_weight_clip must be positive")


def episode_weights(log_q: torch.Tensor, log_ref: torch.Tensor, lengths: torch.Tensor,
                    temperature: float, clip: float) -> torch.Tensor:
    """Batch-normalised clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, clip)."""
    w = torch.exp(temperature * (log_q - log_ref) / lengths.to(log_q.dtype)).clamp(0.0, clip)
    return w / w.sum()


class IWBC(FilteredBC):
    config_cls = IWBCConfig

    def __init__(self, cfg: IWBCConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        self.q = copy.deepcopy(self.actor).requires_grad_(False)
        self.last_weights: torch.Tensor | None = None

    def set_reference(self, state: dict[str, torch.Tensor]) -> None:
        super().set_reference(state)
        self.q.load_state_dict(state)

    def episode_weights(self, batch: EpisodeBatch):
        cfg = self.cfg
        ema_update(self.q, self.actor, cfg.ema_decay)
        with torch.no_grad():
            log_q = self.q.log_prob(batch.observations, batch.actions)
            log_ref = self.ref.log_prob(batch.observations, batch.actions)
            if cfg.per_step:
                sw = torch.exp(cfg.temperature * (log_q - log_ref)).clamp(0.0, cfg.step_weight_clip)
                self.last_weights = sw
                return None, sw
            n = batch.num_episodes
            w = episode_weights(episode_log_probs(log_q, batch.segment, n),
                                episode_log_probs(log_ref, batch.segment, n),
                                batch.lengths, cfg.temperature, cfg.weight_clip)
            self.last_weights = w
            return w, None

    def update(self, batch: EpisodeBatch) -> dict[str, float]:
        out = super().update(batch)
        w = self.last_weights
        if not self.cfg.per_step:
            out["weight_ess"] = (1.0 / (w * w).sum()).item() / len(w)  # effective sample size
        out["weight_max"] = w.max().item()
        return out

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "q": self.q.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.q.load_state_dict(state["q"])
