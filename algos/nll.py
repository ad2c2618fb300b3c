"""The one weighted negative-log-likelihood loss of BC, filtered BC and iw-BC.

For a batch of episodes τ_1..τ_n (packed; whole, or k sampled steps each) with per-episode mean
NLL ℓ_j = −Σ_{t∈τ_j} log π(a_t|s_t) / T_j:

    uniform weights:               loss = (1/n) Σ_j ℓ_j          (BC, filtered BC: the paper's)
    episode weights w (Σ_j w_j = 1): loss = (1/n) Σ_j w_j · ℓ_j    (iw-BC, as the authors' code)

The mean over the batch (not the sum) is the authors' loss: with Adam's eps the 1/n is not
immaterial. Per-step weights s_t (iw-BC's per-step variant) multiply each step's log-probability
before the per-episode mean. With k sampled steps per episode T_j = k, an unbiased estimate.
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
    """(1/n) Σ_j w_j · (−Σ_t s_t log π_t / T_j), w_j = 1 when ``weights`` is None."""
    n = len(lengths)
    lp = step_log_probs if step_weights is None else step_log_probs * step_weights
    per_episode = -episode_log_probs(lp, segment, n) / lengths.to(lp.dtype)
    if weights is None:
        return per_episode.mean()
    return (weights * per_episode).mean()
