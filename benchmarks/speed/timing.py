"""Side-by-side timing on a shared, noisy machine.

Variants are timed in alternating short windows (A B C A B C ...), so that a burst of load from
another process hits all of them alike, and each variant's rate is the best of its windows (the
least-disturbed measurement, as ``timeit`` recommends).
"""

from __future__ import annotations

import time
from typing import Callable


def rate(fn: Callable[[], object], window: float, min_calls: int = 1,
         sync: Callable[[], None] | None = None) -> float:
    """Calls per second of ``fn`` over about ``window`` seconds (at least ``min_calls`` calls).
    ``sync`` (e.g. ``torch.cuda.synchronize``) runs before each clock reading."""
    if sync:
        sync()
    start = time.perf_counter()
    calls = 0
    while calls < min_calls or time.perf_counter() - start < window:
        fn()
        calls += 1
        if sync and (calls >= min_calls and time.perf_counter() - start >= window):
            sync()
    if sync:
        sync()
    return calls / (time.perf_counter() - start)


def compare(variants: dict[str, Callable[[], object]], window: float = 1.0, repeats: int = 3,
            warmup: int = 1, min_calls: int = 1, sync: Callable[[], None] | None = None
            ) -> dict[str, float]:
    """Best rate (calls/s) of each variant over ``repeats`` alternating windows."""
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    best = {name: 0.0 for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            best[name] = max(best[name], rate(fn, window, min_calls, sync))
    return best
