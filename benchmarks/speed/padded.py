"""Padded-and-masked iw-BC: the reference layout that the packed buffer replaces.

Implementations that pad store each batch as (n, T_max, ·) tensors with a (n, T_max) mask and
run every network on all n · T_max rows, padding included. This module computes iw-BC's loss that
way on the *same* sampled episodes and the *same* networks as ``IWBC`` (the packed path), so that

- tests can pin packed loss == padded loss and identical parameters after a step, and
- ``curatedrl bench`` can time the two layouts side by side (figure ``iwbc``).

It is a benchmark and test reference, never used for training.
"""

from __future__ import annotations

import torch

from curatedrl.algos.iw_bc import IWBC
from curatedrl.algos.schedules import ema_update
from curatedrl.datasets.buffer import EpisodeBatch, pad_segments


def padded_batch(batch: EpisodeBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(obs (n, T_max, obs_dim), act (n, T_max, act_dim), mask (n, T_max)) of a packed batch,
    padded to the longest episode of the batch."""
    obs, mask = pad_segments(batch.observations, batch.segment, batch.lengths)
    act, _ = pad_segments(batch.actions, batch.segment, batch.lengths)
    return obs, act, mask


def _masked_log_probs(actor, obs: torch.Tensor, act: torch.Tensor, mask: torch.Tensor
                      ) -> torch.Tensor:
    """(n, T_max) log π(a|s) over every padded row, zero where the mask is False."""
    n, t = mask.shape
    lp = actor.log_prob(obs.reshape(n * t, -1), act.reshape(n * t, -1)).reshape(n, t)
    return lp * mask


def padded_iw_bc_loss(agent: IWBC, obs: torch.Tensor, act: torch.Tensor, mask: torch.Tensor
                      ) -> torch.Tensor:
    """iw-BC's loss (episode weights; EMA of q first, as ``IWBC.episode_weights``) on padded
    episodes: every network runs on all n · T_max rows, sums over time use the mask."""
    cfg = agent.cfg
    if cfg.per_step:
        raise NotImplementedError("the padded reference covers episode weights only")
    ema_update(agent.q, agent.actor, cfg.ema_decay)
    lengths = mask.sum(1).to(obs.dtype)
    with torch.no_grad():
        log_q = _masked_log_probs(agent.q, obs, act, mask).sum(1)
        log_ref = _masked_log_probs(agent.ref, obs, act, mask).sum(1)
        w = torch.exp(cfg.temperature * (log_q - log_ref) / lengths).clamp(0.0, cfg.weight_clip)
        w = w / w.sum()
    per_episode = -_masked_log_probs(agent.actor, obs, act, mask).sum(1) / lengths
    return (w * per_episode).mean()


def padded_iw_bc_update(agent: IWBC, batch: EpisodeBatch) -> torch.Tensor:
    """One iw-BC step (pad, loss, Adam, schedule) in the padded layout; returns the loss."""
    obs, act, mask = padded_batch(batch)
    loss = padded_iw_bc_loss(agent, obs, act, mask)
    agent.step_optimizer(loss)
    agent.sched.step()
    return loss.detach()
