"""Resume checkpoints: what a run needs to continue, bit for bit, after it was killed.

``resume.pt`` in the run directory holds the agent state (networks, target networks, optimizers,
schedulers, the EMA policy q, the algorithm's own generator), the batch sampler's generator
state, torch's and numpy's global RNG states, the step it was taken after, how much of the row
journal (``journal.py``: metrics and evaluation rows so far) belongs to it, the training time so
far and the reference-policy info. It holds plain
tensors, numbers, strings, lists and dicts only, so it is written with ``torch.save`` and read with
``torch.load(weights_only=True)``: loading a checkpoint never runs code from the file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from curatedrl.run.records.rundir import atomic_write
from curatedrl.errors import CuratedRLError

RESUME_FILE = "resume.pt"
FORMAT_VERSION = 2


def save_state(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` through a temporary file and a rename (never a half-written file)."""
    atomic_write(path, lambda f: torch.save(state, f), binary=True)


def load_state(path: Path) -> dict[str, Any]:
    """A checkpoint written by ``save_state``, loaded on the CPU without unpickling code."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ...
        raise CuratedRLError(
            f"checkpoint {str(path)!r} cannot be read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'empty'}); delete it to start the run "
            f"over"
        ) from None


@contextlib.contextmanager
def restoring(what: str, run_dirs: str) -> Iterator[None]:
    """Loading a checkpoint's state into this run's agent, sampler and RNGs: a tensor of
    another shape, a missing or ill-typed entry is one line naming ``what`` (the file) and
    the run directories to delete, not a traceback."""
    try:
        yield
    except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        detail = " ".join(str(exc).split())
        detail = detail[:160] + "..." if len(detail) > 160 else detail
        raise CuratedRLError(f"{what} does not fit this run ({type(exc).__name__}: {detail}); "
                             f"it is damaged or was written by other code: delete the run "
                             f"directory {run_dirs} to start over") from None


def rng_state() -> dict[str, Any]:
    """torch's and numpy's global RNG states as tensors and numbers."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def config_differences(old: dict[str, Any], new: dict[str, Any],
                       ignore: tuple[str, ...] = ("git_commit", "checkpoint_every")) -> list[str]:
    """``key: old -> new`` for every key whose value differs. A run may be resumed under another
    code version (final.json records the new one) or checkpoint interval (which never changes
    results)."""
    out = []
    for key in sorted(set(old) | set(new)):
        if key in ignore:
            continue
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if a != b:
            out.append(f"{key}: {a!r} -> {b!r}")
    return out
