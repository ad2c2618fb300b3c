"""Deterministic mode and the non-finite check of the training loop."""

from __future__ import annotations

import contextlib
import math
import os
from typing import Iterator, Mapping

import torch


@contextlib.contextmanager
def deterministic_mode(enabled: bool, device: str) -> Iterator[None]:
    """``torch.use_deterministic_algorithms(True)`` for the duration of a run, restored after.

    On CUDA, cuBLAS also needs ``CUBLAS_WORKSPACE_CONFIG`` set before its first use in the
    process; it is set here if unset, which is in time when the run is the process's first CUDA
    work (as with ``curatedrl train``).
    """
    if not enabled:
        yield
        return
    if torch.device(device).type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def nonfinite(metrics: Mapping[str, float | torch.Tensor]) -> list[str]:
    """Names of the metrics that are NaN or ±inf: the training loop's one non-finite check.

    Metrics are python floats (or 0-d tensors, read with one host sync each).
    """
    return [k for k, v in metrics.items() if not math.isfinite(float(v))]
