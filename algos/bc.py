"""Behaviour cloning on the shared Gaussian actor (stage 1 of the paper, and a baseline).

Episode level (the paper): batches of whole episodes, loss = mean over episodes of
−Σ_t log π(a_t|s_t) / T. Transition level: batches of independent steps, loss = −mean log π.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from curatedrl.algos.base import Algorithm, BaseConfig, StageOne
from curatedrl.algos.nets import Nets
from curatedrl.algos.networks import GaussianActor
from curatedrl.algos.nll import weighted_episode_nll
from curatedrl.datasets.buffer import DeviceBuffer, EpisodeBatch, TransitionBatch
from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView
from curatedrl.errors import CuratedRLError


@dataclass
class BCConfig(BaseConfig):
    """Behaviour cloning. Defaults: the paper's stage 1 (arXiv 2507.12856, control experiments).

    Attributes:
        steps: gradient steps (paper: 10,000).
        batch_size: whole episodes per batch at episode level (paper: 128), transitions at
            transition level.
        lr: Adam learning rate (paper: 1e-3), constant.
        level: "episode" (the paper's per-episode mean NLL) or "transition".
        steps_per_episode: 0 uses whole episodes; k > 0 draws k steps per episode uniformly, an
            unbiased estimate of each episode's mean NLL for CPU schedules.
    """

    steps: int = 10_000
    batch_size: int = 128
    lr: float = 1e-3
    level: str = "episode"
    steps_per_episode: int = 0

    def validate(self) -> None:
        super().validate()
        if self.level not in ("episode", "transition"):
            raise CuratedRLError(f"level must be 'episode' or 'transition', got {self.level!r}")
        if self.steps_per_episode < 0:
            raise CuratedRLError(f"steps_per_episode must be >= 0, got {self.steps_per_episode}")


def replays_stage_one(cfg: BCConfig, snapshot_every: int) -> bool:
    """Whether a ``bc`` run is stage 1 itself: episode level, evaluated only at steps a stage-1
    record holds the actor for (multiples of ``snapshot_every``), or only at the end."""
    return cfg.level == "episode" and cfg.eval_every % snapshot_every == 0


class ActorLearner(Algorithm):
    """An Adam-trained ``GaussianActor``: the part BC, filtered BC and iw-BC share."""

    def __init__(self, cfg: BaseConfig, obs_dim: int, act_dim: int, lr: float):
        super().__init__(cfg, obs_dim, act_dim)
        self.actor = GaussianActor(obs_dim, act_dim).to(self.device)
        self.opt = torch.optim.Adam(self.actor.parameters(), lr=lr)
        self.num_updates = 0
        self.nets = Nets({"actor": self.actor, "opt": self.opt})

    def sample_episodes(self, buffer: DeviceBuffer, gen: torch.Generator) -> EpisodeBatch:
        """``cfg.batch_size`` episodes, whole or ``cfg.steps_per_episode`` steps of each."""
        k = self.cfg.steps_per_episode
        kwargs = {"steps_per_episode": k} if k else {}
        return buffer.sample_episodes(self.cfg.batch_size, gen, **kwargs)

    def batch_rows(self, view: EpisodeView) -> int:
        """``cfg.batch_size`` episodes of ``cfg.steps_per_episode`` rows, or whole: at most the
        view's longest."""
        k = self.cfg.steps_per_episode
        return self.cfg.batch_size * (k or int(view.lengths.max()))

    def step_optimizer(self, loss: torch.Tensor) -> None:
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.num_updates += 1

    def act_tensor(self, obs: torch.Tensor) -> torch.Tensor:
        return self.actor.act(obs)

    def state_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.state_dict(), "opt": self.opt.state_dict(),
                "num_updates": self.num_updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.actor.load_state_dict(state["actor"])
        self.opt.load_state_dict(state["opt"])
        self.num_updates = int(state["num_updates"])


class BC(ActorLearner):
    config_cls = BCConfig

    def __init__(self, cfg: BCConfig, obs_dim: int, act_dim: int):
        super().__init__(cfg, obs_dim, act_dim, cfg.lr)
        self.replayed: dict[str, torch.Tensor] | None = None

    def batch_rows(self, view: EpisodeView) -> int:
        if self.cfg.level == "episode":
            return super().batch_rows(view)
        return self.cfg.batch_size

    def sample(self, buffer: DeviceBuffer, gen: torch.Generator) -> EpisodeBatch | TransitionBatch:
        if self.cfg.level == "episode":
            return self.sample_episodes(buffer, gen)
        return buffer.sample_transitions(self.cfg.batch_size, gen)

    def prepare(self, ds: EpisodeDataset, stage_one: StageOne | None = None,
                info: dict[str, Any] | None = None) -> dict[str, Any]:
        """At episode level, evaluated at the steps a stage-1 record holds (or only at the
        end), this run *is* the stage 1 of the two-stage runs of its seed: it replays the cached
        record (training it first if absent) instead of training again."""
        info = super().prepare(ds, stage_one, info)
        cfg = self.cfg
        if stage_one is None or not replays_stage_one(cfg, stage_one.snapshot_every):
            return info
        fields = ("seed", "dataset", "steps", "batch_size", "lr", "level", "steps_per_episode",
                  "device")
        record, key, cached = stage_one.record(BCConfig(**{f: getattr(cfg, f) for f in fields}))
        self.replay({k: v.to(self.device) for k, v in record.items()})
        return info or {"reference_key": key, "reference_cached": cached}

    def replay(self, record: dict[str, torch.Tensor]) -> None:
        """Replay a recorded run of this config (the cached stage 1 of the two-stage runs:
        ``loss`` of every step, actor states under ``"<step>/<name>"``) instead of training:
        each update returns the recorded loss and loads the actor recorded at that step."""
        self.replayed = record

    def _replay_update(self) -> dict[str, float]:
        self.num_updates += 1
        prefix = f"{self.num_updates}/"
        state = {k[len(prefix):]: v for k, v in self.replayed.items() if k.startswith(prefix)}
        if state:
            self.actor.load_state_dict(state)
        return {"loss": float(self.replayed["loss"][self.num_updates - 1])}

    def loss(self, batch: EpisodeBatch | TransitionBatch, nets=None) -> torch.Tensor:
        """The batch's NLL under the actor of ``nets`` (this agent's own if None)."""
        actor = self.actor if nets is None else nets.actor
        lp = actor.log_prob(batch.observations, batch.actions)
        if isinstance(batch, EpisodeBatch):
            return weighted_episode_nll(lp, batch.segment, batch.lengths)
        return -lp.mean()

    def update(self, batch: EpisodeBatch | TransitionBatch) -> dict[str, float]:
        if self.replayed is not None:
            return self._replay_update()
        loss = self.nets.apply(lambda nets, b: self.loss(b, nets), batch)
        self.nets.step("opt", loss)
        self.num_updates += 1
        return self.nets.metrics({"loss": loss})
