"""Filtered BC (SFT on curated episodes): fine-tune the BC reference on the best episodes.

Stage 1 (shared with iw-BC, cached per dataset, seed and stage-1 config) trains π_ref with BC on
the whole dataset. Stage 2 starts from π_ref and minimises the same per-episode mean NLL on the
curated episodes: the paper's percentile strata (top-10% ∪ top-5% ∪ top-2%, with repetition) by
default, or a top fraction. Adam with linear warm-up and cosine decay.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from curatedrl.algos.base import BaseConfig, StageOne
from curatedrl.algos.bc import ActorLearner, BCConfig
from curatedrl.algos.nll import unique_episode_nll, weighted_episode_nll
from curatedrl.algos.schedules import warmup_cosine
from curatedrl.datasets.buffer import DeviceBuffer, EpisodeBatch
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView, min_return, percentile_strata, top_fraction
from curatedrl.errors import CuratedRLError


@dataclass
class FilteredBCConfig(BaseConfig):
    """Filtered BC. Defaults: the paper's control protocol (arXiv 2507.12856).

    Attributes:
        steps: stage-2 gradient steps (paper: 2,000).
        batch_size: whole episodes per batch (paper: 256).
        lr: peak Adam learning rate of stage 2 (paper: 4e-5).
        warmup_steps: linear warm-up from 0 (paper: 300), then cosine decay to 0 at ``steps``.
        filter: "strata" (percentile strata with repetition), "top" (top fraction) or
            "min_return" (episodes with return >= ``min_return``).
        percentiles: the strata cut-offs (paper: 90, 95, 98).
        top_fraction: fraction kept by the "top" filter.
        min_return: return threshold of the "min_return" filter.
        steps_per_episode: 0 uses whole episodes; k > 0 draws k steps per episode for the
            gradient (CPU schedules; iw-BC's weights still read whole episodes).
        ref_steps_per_episode: the same for stage 1 (None: ``steps_per_episode``).
        ref_steps: stage-1 BC steps for π_ref (paper: 10,000).
        ref_batch_size: stage-1 episodes per batch (paper: 128).
        ref_lr: stage-1 Adam learning rate (paper: 1e-3).
    """

    steps: int = 2_000
    batch_size: int = 256
    lr: float = 4e-5
    warmup_steps: int = 300
    filter: str = "strata"
    percentiles: tuple = (90.0, 95.0, 98.0)
    top_fraction: float = 0.1
    min_return: float = 0.0
    steps_per_episode: int = 0
    ref_steps_per_episode: int | None = None
    ref_steps: int = 10_000
    ref_batch_size: int = 128
    ref_lr: float = 1e-3

    def validate(self) -> None:
        super().validate()
        if self.filter not in ("strata", "top", "min_return"):
            raise CuratedRLError(f"filter must be 'strata', 'top' or 'min_return', got "
                                 f"{self.filter!r}")
        for p in self.percentiles:
            if not 0.0 <= p <= 100.0:
                raise CuratedRLError(f"percentiles must lie in [0, 100], got {p}")
        if not 0.0 < self.top_fraction <= 1.0:
            raise CuratedRLError(f"top_fraction must lie in (0, 1], got {self.top_fraction}")
        if self.warmup_steps < 0 or self.ref_steps <= 0 or self.ref_batch_size <= 0:
            raise CuratedRLError("warmup_steps must be >= 0, ref_steps and ref_batch_size "
                                 "positive")
        if self.steps_per_episode < 0:
            raise CuratedRLError(f"steps_per_episode must be >= 0, got {self.steps_per_episode}")
        k = self.ref_steps_per_episode
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 0):
            raise CuratedRLError(f"ref_steps_per_episode must be an int >= 0 (or null: as "
                                 f"steps_per_episode), got {k!r}")


def reference_config(cfg: FilteredBCConfig) -> BCConfig:
    """The stage-1 BC config (π_ref) implied by a two-stage algorithm's config."""
    k = cfg.ref_steps_per_episode
    return BCConfig(seed=cfg.seed, dataset=cfg.dataset, steps=cfg.ref_steps,
                    batch_size=cfg.ref_batch_size, lr=cfg.ref_lr, level="episode",
                    steps_per_episode=cfg.steps_per_episode if k is None else k,
                    device=cfg.device)


class FilteredBC(ActorLearner):
    """Stage 2 of the two-stage runs: fine-tunes π_ref (stage 1, from ``prepare``'s
    ``stage_one``) on the curated episodes."""

    config_cls = FilteredBCConfig

    def __init__(self, cfg: FilteredBCConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim, cfg.lr)
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda s: warmup_cosine(s, cfg.warmup_steps, cfg.steps))
        self.ref = copy.deepcopy(self.actor).requires_grad_(False)

    def select(self, ds: EpisodeDataset) -> EpisodeView:
        if self.cfg.filter == "top":
            return top_fraction(ds, self.cfg.top_fraction)
        if self.cfg.filter == "min_return":
            return min_return(ds, self.cfg.min_return)
        return percentile_strata(ds, self.cfg.percentiles)

    def batch_rows(self, view: EpisodeView) -> int:
        """The larger of stage 2's batch (on ``view``) and stage 1's (on the whole dataset)."""
        ref = reference_config(self.cfg)
        whole = int(view.dataset.lengths.max())
        return max(super().batch_rows(view),
                   ref.batch_size * (ref.steps_per_episode or whole))

    def sample(self, buffer: DeviceBuffer, gen: torch.Generator) -> EpisodeBatch:
        return self.sample_episodes(buffer, gen)

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        """A fresh run starts from π_ref (stage 1, cached by ``stage_one``); a resumed run's
        checkpoint restores it. Without ``stage_one`` call ``set_reference`` yourself."""
        info = super().prepare(ds, stage_one, info)
        if stage_one is not None and not info:
            state, key, cached = stage_one.policy(reference_config(self.cfg))
            self.set_reference(state)
            info = {"reference_key": key, "reference_cached": cached}
        return info

    def set_reference(self, state: dict[str, torch.Tensor]) -> None:
        """Start from π_ref and keep a frozen copy of it."""
        self.actor.load_state_dict(state)
        self.ref.load_state_dict(state)

    def episode_weights(self, batch: EpisodeBatch) -> tuple[torch.Tensor | None,
                                                            torch.Tensor | None]:
        """(episode weights, step weights); uniform for filtered BC."""
        return None, None

    def loss(self, batch: EpisodeBatch) -> torch.Tensor:
        weights, step_weights = self.episode_weights(batch)
        if self.cfg.steps_per_episode == 0 and step_weights is None:  # whole episodes
            return unique_episode_nll(self.actor.log_prob, batch.observations, batch.actions,
                                      batch.segment, batch.lengths, batch.episodes, weights)
        lp = self.actor.log_prob(batch.observations, batch.actions)
        return weighted_episode_nll(lp, batch.segment, batch.lengths, weights, step_weights)

    def update(self, batch: EpisodeBatch) -> dict[str, float]:
        lr = self.opt.param_groups[0]["lr"]
        loss = self.loss(batch)
        self.step_optimizer(loss)
        self.sched.step()
        return {"loss": loss.item(), "lr": lr}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "sched": self.sched.state_dict(),
                "ref": self.ref.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.sched.load_state_dict(state["sched"])
        self.ref.load_state_dict(state["ref"])
