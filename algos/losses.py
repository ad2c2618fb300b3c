"""Small loss helpers of the baselines (IQL's expectile regression, advantage weights)."""

from __future__ import annotations

import torch


def expectile_loss(diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """mean |τ − 1(diff < 0)| · diff² (IQL's asymmetric L2 on diff = Q − V)."""
    weight = torch.where(diff < 0, 1.0 - expectile, expectile)
    return (weight * diff.pow(2)).mean()


def advantage_weights(adv: torch.Tensor, scale: float, clip: float) -> torch.Tensor:
    """exp(scale · A) clamped above at ``clip`` (IQL: scale = β; AWAC: scale = 1/λ)."""
    return torch.exp(scale * adv).clamp(max=clip)
