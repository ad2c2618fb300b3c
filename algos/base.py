"""What every algorithm shares: the base config fields and the algorithm interface."""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import torch

from curatedrl.constants import DEFAULT_DATASET
from curatedrl.datasets.buffer import DeviceBuffer, EpisodeBatch, TransitionBatch
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView, as_view
from curatedrl.errors import CuratedRLError, shown


@dataclass
class BaseConfig:
    """Fields every algorithm has.

    Attributes:
        seed: seeds the network initialisation and the batch sampler.
        dataset: Minari id or D4RL-format file the run trains on.
        steps: gradient steps (of the algorithm's own stage; BC pre-training counts apart).
        batch_size: episodes per batch for episode-level algorithms, transitions otherwise.
        eval_every: evaluate every this many steps (0: only at the end).
        eval_episodes: episodes of each periodic evaluation.
        final_eval_episodes: episodes of the evaluation at the end.
        device: torch device ("cpu", "cuda", "cuda:1", ...).
        checkpoint_every: write the resume checkpoint (``resume.pt``) every this many steps, and
            at the last step; a killed run started again with the same command continues from
            it (0: only at the last step). Checkpoints never change the results.
        deterministic: run with ``torch.use_deterministic_algorithms(True)`` (on CUDA also
            ``CUBLAS_WORKSPACE_CONFIG=:4096:8``); CPU runs are reproducible either way, CUDA
            runs only with it (see docs/reliability.md).
    """

    seed: int = 0
    dataset: str = DEFAULT_DATASET
    steps: int = 10_000
    batch_size: int = 256
    eval_every: int = 500
    eval_episodes: int = 10
    final_eval_episodes: int = 100
    device: str = "cpu"
    checkpoint_every: int = 1000
    deterministic: bool = False

    def validate(self) -> None:
        """Refuse values no run can use; subclasses extend it. Whether the device exists on
        this machine is the run's check (``run.safety.resources``): a sweep resolves configs for
        other machines."""
        if not 0 <= self.seed <= MAX_SEED:
            raise CuratedRLError(f"seed must be an integer in [0, {MAX_SEED}] (numpy's seed "
                                 f"range), got {shown(self.seed)}")
        device_problem(self.device)
        if self.steps <= 0:
            raise CuratedRLError(f"steps must be positive, got {self.steps}")
        if self.batch_size <= 0:
            raise CuratedRLError(f"batch_size must be positive, got {self.batch_size}")
        if self.eval_every < 0 or self.eval_episodes <= 0 or self.final_eval_episodes <= 0:
            raise CuratedRLError("eval_every must be >= 0 and eval_episodes, "
                                 "final_eval_episodes positive")
        if self.checkpoint_every < 0:
            raise CuratedRLError(f"checkpoint_every must be >= 0, got {self.checkpoint_every}")
        for f in dataclasses.fields(self):
            if f.name.endswith("lr") and not 0 < getattr(self, f.name) < math.inf:
                raise CuratedRLError(f"{f.name} must be positive, got {getattr(self, f.name)}")


MAX_SEED = 2**32 - 1  # np.random.seed's largest seed
DEVICE_TYPES = ("cpu", "cuda", "mps")


def device_problem(device: str) -> None:
    """Refuse a device string that names no torch device this suite runs on (``cpu``, ``cuda``,
    ``cuda:N``, ``mps``)."""
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError):
        kind = None
    if kind not in DEVICE_TYPES:
        raise CuratedRLError(f"device {shown(device)} is not a torch device this suite runs on; "
                             f"use cpu, cuda, cuda:N or mps")


def config_from_dict(cls: type[BaseConfig], values: dict[str, Any]) -> BaseConfig:
    """Build a config, refusing unknown keys with the closest valid one suggested."""
    names = [f.name for f in dataclasses.fields(cls)]
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    for key in values:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            spelled_out = key.replace("learning_rate", "lr")  # learning_rate → lr, ...
            if spelled_out in names:
                close = [spelled_out]
            hint = f"; did you mean {close[0]!r}?" if close else \
                f"; valid keys: {', '.join(names)}"
            raise CuratedRLError(f"unknown config key {key!r} for {cls.__name__}{hint}")
    coerced = {k: _coerce(k, v, types[k]) for k, v in values.items()}
    cfg = cls(**coerced)
    cfg.validate()
    return cfg


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """``value`` as the field's type: bool, int, float, str, a tuple of floats or ``int |
    None``; anything else is one line naming the key (the value shown shortened)."""
    text = str(annotation).removeprefix("<class '").removesuffix("'>")
    scalar = isinstance(value, (bool, int, float, str))
    try:
        if text == "bool":
            if isinstance(value, bool) or (scalar and value in (0, 1)):
                return bool(value)
            raise ValueError
        if text in ("int", "int | None"):
            if value is None and text == "int | None":
                return None
            if not scalar or isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if text == "float":
            if not scalar or isinstance(value, bool):
                raise ValueError
            return float(value)
        if text == "str":
            if not isinstance(value, str):
                raise ValueError
            return value
        if text.startswith("tuple"):
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                raise ValueError
            return tuple(float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        what = "list of numbers" if text.startswith("tuple") else text
        raise CuratedRLError(f"config key {key!r} needs a {what}, got {shown(value)}") from None
    return value


class StageOne(Protocol):
    """What a run gives ``Algorithm.prepare`` for a stage 1 (the run layer's reference cache):
    BC runs of a given config, trained once and kept, with what they recorded."""

    snapshot_every: int  # the steps at which a stage-1 record holds the actor

    def policy(self, bc_cfg: BaseConfig) -> tuple[dict[str, torch.Tensor], str, bool]:
        """(π_ref's actor state, cache key, whether it was cached) of a stage-1 BC config."""

    def record(self, bc_cfg: BaseConfig) -> tuple[dict[str, torch.Tensor], str, bool]:
        """(its record: ``loss`` of every step and ``"<step>/<name>"`` actor states, key,
        whether it was cached)."""

    def log_probs(self, key: str, actor: torch.nn.Module) -> torch.Tensor:
        """log π(a_t|s_t) of every dataset row under the cached π_ref ``actor`` of ``key``."""


class Algorithm:
    """Interface of every algorithm in ``ALGOS``. It owns its data needs: ``select`` (which
    episodes), ``prepare`` (set-up from the data, stage 1 included) and ``sample`` (one batch),
    so that the training loop never asks what kind of algorithm it runs.

    Class attributes:
        config_cls: its config dataclass.
    """

    config_cls: ClassVar[type[BaseConfig]] = BaseConfig

    def __init__(self, cfg: BaseConfig, obs_dim: int, act_dim: int):
        self.cfg = cfg
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.device = torch.device(cfg.device)
        torch.manual_seed(cfg.seed)

    def select(self, ds: EpisodeDataset) -> EpisodeView:
        """The episodes (and sampling weights) it trains on; all of them by default."""
        return as_view(ds)

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set-up from the data before the first update (normalisation statistics; π_ref for
        the two-stage algorithms, from ``stage_one``). ``info`` is what this run recorded
        before (a resumed run: its checkpoint restores the state afterwards); returns what the
        run records (e.g. π_ref's cache key). Nothing by default."""
        return dict(info or {})

    def batch_rows(self, view: EpisodeView) -> int:
        """The most dataset rows one of its batches holds when it trains on ``view`` (the run
        refuses a batch that cannot fit in memory): ``cfg.batch_size`` transitions by
        default."""
        return self.cfg.batch_size

    def sample(self, buffer: DeviceBuffer, gen: torch.Generator) -> EpisodeBatch | TransitionBatch:
        """One training batch from ``buffer``: ``cfg.batch_size`` transitions by default."""
        return buffer.sample_transitions(self.cfg.batch_size, gen)

    def update(self, batch: EpisodeBatch | TransitionBatch) -> dict[str, float]:
        raise NotImplementedError

    def act_tensor(self, obs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Deterministic evaluation actions for a (n, obs_dim) batch."""
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32), device=self.device)
        return self.act_tensor(x).cpu().numpy()

    def state_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError
