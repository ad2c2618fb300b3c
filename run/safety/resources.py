"""What this machine must offer a run, checked before anything is written: the device its
config names, and memory for one training batch.

A batch that cannot fit is refused in one line instead of growing until the OS kills the
process (``--batch-size 1000000000`` grew to 22 GB before it was killed). The estimate is a
lower bound: the batch's own rows (observations and next observations, actions and next actions,
reward and flags, float32) plus the activations a 3×256 MLP keeps per row for its backward pass.
It is compared with the memory available now: on CPU ``MemAvailable`` (and a cgroup's limit),
on CUDA the device's free memory. A batch under that bound may still not fit; one above it
never does.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from curatedrl.errors import CuratedRLError

HIDDEN_FLOATS = 3 * 256  # activations per row of the shared 3×256 MLP, kept for backward


def check_device(device: str) -> None:
    """Refuse a device (already a valid device string: ``algos.base.device_problem``) that this
    machine does not have."""
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            built = f"CUDA {torch.version.cuda}" if torch.version.cuda else "without CUDA"
            raise CuratedRLError(f"device {device!r}: no CUDA device is available on this "
                                 f"machine (this torch is built {built}); use --device cpu")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise CuratedRLError(f"device {device!r}: this machine has {count} CUDA device(s), "
                                 f"cuda:0 to cuda:{count - 1}; pick one of them")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise CuratedRLError(f"device {device!r}: MPS is not available on this machine; use "
                             f"--device cpu")


def batch_bytes(rows: int, obs_dim: int, act_dim: int) -> int:
    """A lower bound of the memory one update over ``rows`` rows needs."""
    return 4 * rows * (2 * obs_dim + 2 * act_dim + 4 + HIDDEN_FLOATS)


def available_bytes(device: str) -> float:
    """Memory available to a batch on ``device`` now (``inf`` when it cannot be told)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        try:
            return float(torch.cuda.mem_get_info(dev)[0])
        except (RuntimeError, AssertionError):
            return math.inf
    if dev.type != "cpu":
        return math.inf
    return min(_meminfo_available(), _cgroup_available())


def check_batch_fits(batch_size: int, rows: int, obs_dim: int, act_dim: int, device: str,
                     copies: int = 1) -> None:
    """Refuse a batch (``batch_size`` as configured, ``rows`` dataset rows, ``copies`` seeds
    stacked) whose lower-bound memory exceeds what ``device`` has available."""
    need = batch_bytes(rows, obs_dim, act_dim) * copies
    free = available_bytes(device)
    if need > free:
        seeds = f" × {copies} stacked seeds" if copies > 1 else ""
        raise CuratedRLError(
            f"batch_size {batch_size} cannot fit: one batch holds up to {rows:,} rows{seeds}, "
            f"at least {need / 2**30:.1f} GiB with the network's activations, more than the "
            f"{free / 2**30:.1f} GiB of memory available on {device}; use a smaller "
            f"--batch-size")


def _meminfo_available() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return math.inf


def _cgroup_available() -> float:
    """What a cgroup v2 memory limit leaves (``inf`` without one)."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return math.inf
        return float(limit) - float((base / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return math.inf
