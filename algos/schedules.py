"""Learning-rate schedules and the exponential moving average of parameters."""

from __future__ import annotations

import math

import torch
from torch import nn


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """Multiplier of the base rate: linear from 0 over ``warmup`` steps, then cosine to 0 at
    ``total``. Paper (stage 2): warmup 300, total 2,000, so 0 → 1 at 300 → 0.5 at 1,150 → 0."""
    if step < warmup:
        return step / warmup
    if total <= warmup:
        return 1.0
    progress = min(1.0, (step - warmup) / (total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


@torch.no_grad()
def ema_update(target: nn.Module, source: nn.Module, decay: float) -> None:
    """target ← decay · target + (1 − decay) · source, for every parameter (log-std included)."""
    t = list(target.parameters())
    s = list(source.parameters())
    torch._foreach_lerp_(t, s, 1.0 - decay)
