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


def first_occurrences(episodes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(first, inverse): the batch position of each unique episode's first occurrence, and the
    unique index of every batch position (``episodes[first][inverse] == episodes``)."""
    uniq, inverse = torch.unique(episodes, return_inverse=True)
    n = len(episodes)
    first = torch.full((len(uniq),), n, dtype=torch.int64, device=episodes.device)
    first.scatter_reduce_(0, inverse, torch.arange(n, device=episodes.device), reduce="amin")
    return first, inverse


def unique_episode_nll(log_prob, observations: torch.Tensor, actions: torch.Tensor,
                       segment: torch.Tensor, lengths: torch.Tensor, episodes: torch.Tensor,
                       weights: torch.Tensor | None = None) -> torch.Tensor:
    """``weighted_episode_nll`` of a batch of WHOLE episodes, with ``log_prob`` (the policy's
    per-row log-density) evaluated once per unique episode: the curated strata repeat episodes
    (a 256-episode batch of halfcheetah-medium-replay holds all 24 of its unique ones), and a
    repeated whole episode has the same rows, so its per-episode NLL, and its gradient, is the
    same number. The same value and gradient as the plain loss, not an approximation (equal to
    ~1e-12 in float64, tests/test_unique_episodes.py); autograd sums the repeats' gradients
    through the gather. Not for sampled steps (repeats then hold different rows)."""
    first, inverse = first_occurrences(episodes)
    keep = torch.zeros(len(lengths), dtype=torch.bool, device=lengths.device)
    keep[first] = True
    rows = keep[segment]
    lp = log_prob(observations[rows], actions[rows])
    per_unique = -episode_log_probs(lp, inverse[segment[rows]], len(first)) \
        / lengths[first].to(lp.dtype)
    per_episode = per_unique[inverse]
    if weights is None:
        return per_episode.mean()
    return (weights * per_episode).mean()


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
