"""Importance-weighted BC (iw-BC): filtered BC whose episodes are weighted to tighten the bound.

q is an exponential moving average of the learner (decay 0.9, updated every step before the loss,
log-std included). Episode weight

    w(τ) = clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, 1000),  log q(τ) = Σ_t log q(a_t|s_t)

over the WHOLE episode (T its length), whatever rows the gradient uses (k sampled steps per
episode give an unbiased gradient; weights from k steps would be biased noise), divided by the
batch sum; loss = (1/n) Σ_τ w(τ) · (−log π_θ(τ) / T), the authors' update. At temp = 0 this is
filtered BC's loss divided by n. The per-step variant weights each step by
s_t = clamp(exp(temp · (log q − log π_ref)), 0, 2) divided by Σ s_t over every step of the batch's
whole episodes.

Exact weights, computed cheaply without changing their value: log π_ref of every dataset row is
computed once (π_ref is frozen; ``run.loop.reference`` caches it beside π_ref), and log q is
computed once per step over the rows of the batch's *unique* episodes (the strata repeat them).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

from curatedrl.algos.base import StageOne
from curatedrl.algos.filtered_bc import FilteredBC, FilteredBCConfig
from curatedrl.algos.nll import episode_log_probs
from curatedrl.algos.schedules import ema_update
from curatedrl.datasets.buffer import EpisodeBatch, episode_rows, segment_sum
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.errors import CuratedRLError

ROW_CHUNK = 65_536  # rows per forward pass when computing log π_ref over the whole dataset


@dataclass
class IWBCConfig(FilteredBCConfig):
    """iw-BC: filtered BC's fields plus the importance weights (paper defaults).

    Attributes:
        temperature: temp in the weight exponent (paper: 10); 0 gives filtered BC (loss / n).
        ema_decay: decay of q, the moving average of the learner (paper: 0.9).
        weight_clip: upper clamp of episode weights before normalisation (paper: 1000).
        per_step: weight each step instead of each episode. The step weights are divided by
            their sum over the batch's REAL steps; the authors' padded code with
            ``sum_traj=False`` also counts padded positions (at weight 1) in that sum, which
            makes its weights 1.06-1.10x smaller than these on hopper medium-replay.
        step_weight_clip: upper clamp of per-step weights (paper: 2).
        weight_refresh: 1 (default) computes log q(τ) of every batch episode at every step
            (exact). R > 1 is a cheaper approximation: each episode's log q(τ) is cached and
            recomputed only when it is R or more steps old (q moves slowly: decay 0.9 and lr
            4e-5); measured against the exact weights in docs/iw_bc.md. Episode weights only.
    """

    temperature: float = 10.0
    ema_decay: float = 0.9
    weight_clip: float = 1000.0
    per_step: bool = False
    step_weight_clip: float = 2.0
    weight_refresh: int = 1

    def validate(self) -> None:
        super().validate()
        if not 0.0 <= self.ema_decay < 1.0:
            raise CuratedRLError(f"ema_decay must lie in [0, 1), got {self.ema_decay}")
        if self.weight_clip <= 0 or self.step_weight_clip <= 0:
            raise CuratedRLError("weight_clip and step_weight_clip must be positive")
        if self.weight_refresh < 1:
            raise CuratedRLError(f"weight_refresh must be >= 1 (1: exact weights every step; R: "
                                 f"log q refreshed every R steps), got {self.weight_refresh}")
        if self.weight_refresh > 1 and self.per_step:
            raise CuratedRLError("weight_refresh > 1 applies to episode weights only; use "
                                 "weight_refresh=1 with per_step")


def episode_weights(log_q: torch.Tensor, log_ref: torch.Tensor, lengths: torch.Tensor,
                    temperature: float, clip: float) -> torch.Tensor:
    """Batch-normalised clamp(exp(temp · (log q(τ) − log π_ref(τ)) / T), 0, clip)."""
    w = torch.exp(temperature * (log_q - log_ref) / lengths.to(log_q.dtype)).clamp(0.0, clip)
    return w / w.sum()


@torch.no_grad()
def row_log_probs(actor, observations: torch.Tensor, actions: torch.Tensor,
                  chunk: int = ROW_CHUNK) -> torch.Tensor:
    """(N,) log π(a|s) of every row, in chunks (forward only)."""
    return torch.cat([actor.log_prob(observations[i:i + chunk], actions[i:i + chunk])
                      for i in range(0, len(observations), chunk)])


class IWBC(FilteredBC):
    config_cls = IWBCConfig

    def __init__(self, cfg: IWBCConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim)
        self.q = copy.deepcopy(self.actor).requires_grad_(False)
        self.last_weights: torch.Tensor | None = None
        self.data: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self.log_ref_rows: torch.Tensor | None = None
        self.stale_log_q: dict[str, torch.Tensor] = {}  # weight_refresh > 1: cached log q(τ)
        self.log_ref_source: Callable[[torch.nn.Module], torch.Tensor] | None = None

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        """Keep the dataset's rows (observations, actions, episode offsets) on the device: the
        weights read whole episodes, whatever rows a batch holds (on CPU nothing is copied).
        With ``stage_one``, log π_ref of every row comes from its cache, read when first needed
        (after a resumed run's checkpoint has restored π_ref)."""
        info = super().prepare(ds, stage_one, info)
        dev = self.device
        self.data = (torch.as_tensor(ds.observations, device=dev),
                     torch.as_tensor(ds.actions, device=dev),
                     torch.as_tensor(ds.offsets, device=dev, dtype=torch.int64))
        self.log_ref_rows = None
        n = len(ds.offsets) - 1
        self.stale_log_q = {"value": torch.zeros(n, dtype=torch.float64, device=dev),
                            "step": torch.full((n,), -(2 ** 62), dtype=torch.int64, device=dev)}
        if stage_one is not None:
            self.log_ref_source = partial(stage_one.log_probs, info["reference_key"])
        return info

    def set_reference(self, state: dict[str, torch.Tensor]) -> None:
        super().set_reference(state)
        self.q.load_state_dict(state)
        self.log_ref_rows = None
        if self.stale_log_q:
            self.stale_log_q["step"].fill_(-(2 ** 62))

    def reference_log_probs(self) -> torch.Tensor:
        """(N,) log π_ref(a_t|s_t) of every dataset row (from the stage-1 cache, or computed
        once)."""
        if self.log_ref_rows is None:
            if self.log_ref_source is not None:
                self.set_reference_log_probs(self.log_ref_source(self.ref))
            else:
                obs, act, _ = self._data()
                self.log_ref_rows = row_log_probs(self.ref, obs, act)
        return self.log_ref_rows

    def set_reference_log_probs(self, values: torch.Tensor) -> None:
        """Use cached log π_ref values of every row (``row_log_probs(self.ref, ...)``)."""
        n = len(self._data()[0])
        if values.shape != (n,):
            raise CuratedRLError(f"cached log π_ref holds {tuple(values.shape)} values for a "
                                 f"dataset of {n} rows; delete the stale cache entry")
        self.log_ref_rows = values.to(self.device)

    def _data(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.data is None:
            raise CuratedRLError("iw-BC needs the dataset's whole episodes: call "
                                 "prepare(dataset) before training")
        return self.data

    @torch.no_grad()
    def whole_episode_terms(self, batch: EpisodeBatch):
        """log q and log π_ref of every row of the batch's unique episodes, whole.

        Returns (log_q, log_ref, segment, lengths, inverse, first): packed over the unique
        episodes, the unique position of each batch episode, and each unique episode's first
        packed row."""
        obs, act, offsets = self._data()
        log_ref_rows = self.reference_log_probs()
        uniq, inverse = torch.unique(batch.episodes, return_inverse=True)
        rows, segment, lengths = episode_rows(offsets, uniq)
        dtype = next(self.q.parameters()).dtype
        log_q = self.q.log_prob(obs[rows].to(dtype), act[rows].to(dtype))
        first = torch.cumsum(lengths, 0) - lengths
        return log_q, log_ref_rows[rows].to(dtype), segment, lengths, inverse, first

    @torch.no_grad()
    def refreshed_episode_terms(self, batch: EpisodeBatch):
        """weight_refresh = R > 1: (log q(τ), log π_ref(τ), T) of each batch episode, with log q(τ)
        recomputed only for episodes whose cached value is R or more steps old."""
        obs, act, offsets = self._data()
        log_ref_rows = self.reference_log_probs()
        cache = self.stale_log_q
        uniq = torch.unique(batch.episodes)
        old = uniq[self.num_updates - cache["step"][uniq] >= self.cfg.weight_refresh]
        if len(old):
            rows, segment, _ = episode_rows(offsets, old)
            dtype = next(self.q.parameters()).dtype
            lq = self.q.log_prob(obs[rows].to(dtype), act[rows].to(dtype))
            cache["value"][old] = segment_sum(lq, segment, len(old)).double()
            cache["step"][old] = self.num_updates
        rows, segment, lengths = episode_rows(offsets, batch.episodes)
        log_ref = segment_sum(log_ref_rows[rows].double(), segment, len(lengths))
        return cache["value"][batch.episodes], log_ref, lengths

    def episode_weights(self, batch: EpisodeBatch):
        cfg = self.cfg
        ema_update(self.q, self.actor, cfg.ema_decay)
        if cfg.weight_refresh > 1:
            log_q, log_ref, lengths = self.refreshed_episode_terms(batch)
            w = episode_weights(log_q, log_ref, lengths, cfg.temperature, cfg.weight_clip)
            self.last_weights = w.to(next(self.actor.parameters()).dtype)
            return self.last_weights, None
        log_q, log_ref, segment, lengths, inverse, first = self.whole_episode_terms(batch)
        u = len(lengths)
        if not cfg.per_step:
            w = episode_weights(episode_log_probs(log_q, segment, u)[inverse],
                                episode_log_probs(log_ref, segment, u)[inverse],
                                lengths[inverse], cfg.temperature, cfg.weight_clip)
            self.last_weights = w
            return w, None
        s = torch.exp(cfg.temperature * (log_q - log_ref)).clamp(0.0, cfg.step_weight_clip)
        total = segment_sum(s, segment, u)[inverse].sum()  # Σ over the batch's whole episodes
        if batch.rows is None:
            raise CuratedRLError("the per-step weights need the batch's dataset rows")
        offsets = self._data()[2]
        within = batch.rows - offsets[batch.episodes[batch.segment]]
        sw = s[first[inverse[batch.segment]] + within] / total
        self.last_weights = sw
        return None, sw

    def update(self, batch: EpisodeBatch) -> dict[str, float]:
        out = super().update(batch)
        w = self.last_weights
        if not self.cfg.per_step:
            out["weight_ess"] = (1.0 / (w * w).sum()).item() / len(w)  # effective sample size
        out["weight_max"] = w.max().item()
        return out

    def state_dict(self) -> dict[str, Any]:
        out = {**super().state_dict(), "q": self.q.state_dict()}
        if self.cfg.weight_refresh > 1:
            out["stale_log_q"] = {k: v.clone() for k, v in self.stale_log_q.items()}
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.q.load_state_dict(state["q"])
        if "stale_log_q" in state:
            self.stale_log_q = {k: v.to(self.device) for k, v in state["stale_log_q"].items()}
        self.log_ref_rows = None  # π_ref may have changed with the state
