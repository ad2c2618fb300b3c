"""The one weighted negative-log-likelihood loss of BC, filtered BC and iw-BC.

For a batch of whole episodes τ_1..τ_n (packed) with weights w_j summing to one:

    loss = Σ_j w_j · ( −Σ_{t∈τ_j} log π(a_t|s_t) / T_j )

Uniform weights give the paper's episode-level BC loss (mean over episodes of the per-episode
mean NLL). Per-step weights (iw-BC's per-step variant) multiply each step's log-probability.
"""

from __future__ import annotations

import torch

from curatedrl.datasets.buffer import segment_sum


def episode_log_probs(step_log_probs: torch.Tensor, segment: torch.Tensor, n: int
                      ) -> torch.Tensor:
    """(n,) Σ_t log π(a_t|s_t) of each episode from packed per-step log-probabilities."""
    return segment_sum(step_log_probs, segment, n)


def weighted_episode_nll(step_log_probs: torch.Tensor, segment: torch.Tensor,
                         lengths: torch.Tensor, weights: torch.Tensor | None = None,
                         step_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Σ_j w_j · (−Σ_t s_t log π_t / T_j) with w uniform (1/n) when ``weights`` is None."""
    n = len(lengths)
    lp = step_log_probs if step_weights is None else step_log_probs * step_weights
    per_episode = -episode_log_probs(lp, segment, n) / lengths.to(lp.dtype)
    if weights is None:
        return per_episode.mean()
    return (weights * per_episode).sum()
