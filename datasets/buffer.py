"""Device buffers: a dataset's steps as packed tensors on one device, sampled on that device.

The whole dataset is copied to the device once (valid steps only, concatenated); a view (filter)
is a small table of episode starts, lengths and weights over those tensors, so BC on all episodes
and fine-tuning on a filtered view share one copy. A batch of whole episodes is a set of index
ranges; per-episode sums are segment sums (``segment_sum``), never padded.

All randomness comes from an explicit ``torch.Generator`` living on the buffer's device.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from curatedrl.datasets.episodes import EpisodeDataset
from curatedrl.datasets.filters import EpisodeView, as_view


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A seeded generator on ``device`` (sampling never touches the global RNG)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


@dataclass
class TransitionBatch:
    """Independent steps: (B, ·) tensors."""

    observations: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_observations: torch.Tensor
    terminations: torch.Tensor  # float 0/1: 1 where the step ended in a terminal state
    next_actions: torch.Tensor  # the dataset's action at the following step (zeros if none)
    has_next_action: torch.Tensor  # float 0/1: 0 at the last step of an episode


@dataclass
class EpisodeBatch:
    """Whole episodes, packed: steps of episode j of the batch are the rows where ``segment == j``.

    Attributes:
        observations, actions, rewards, terminations, truncations: (S, ·) packed steps.
        segment: (S,) int64, the batch position of each step's episode.
        lengths: (n,) int64 rows of each episode in the batch: its length, or the number of
            subsampled steps.
        episodes: (n,) int64 episode indices into the dataset.
        rows: (S,) int64 the dataset row of each packed step (None when not known).
    """

    observations: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    terminations: torch.Tensor
    truncations: torch.Tensor
    segment: torch.Tensor
    lengths: torch.Tensor
    episodes: torch.Tensor
    rows: torch.Tensor | None = None

    @property
    def num_episodes(self) -> int:
        return len(self.lengths)


def segment_sum(values: torch.Tensor, segment: torch.Tensor, n: int) -> torch.Tensor:
    """Sum ``values`` (S, ...) into ``n`` segments given each row's segment id."""
    out = torch.zeros((n, *values.shape[1:]), dtype=values.dtype, device=values.device)
    return out.index_add_(0, segment, values)


def episode_rows(offsets: torch.Tensor, episodes: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(rows, segment, lengths) of whole dataset episodes ``episodes`` (indices into
    ``offsets``), packed in that order: the dataset row of each packed step, the batch position of
    its episode, and each episode's length."""
    starts = offsets[episodes]
    lengths = offsets[episodes + 1] - starts
    segment = torch.repeat_interleave(torch.arange(len(episodes), device=offsets.device), lengths)
    first = torch.cumsum(lengths, 0) - lengths
    rows = starts[segment] + torch.arange(len(segment), device=offsets.device) - first[segment]
    return rows, segment, lengths


def pad_segments(values: torch.Tensor, segment: torch.Tensor, lengths: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded copy (n, T_max, ...) of packed ``values`` and its (n, T_max) bool mask.

    The reference layout of implementations that pad episodes; used to check packed results.
    """
    n, t_max = len(lengths), int(lengths.max())
    first = torch.cumsum(lengths, 0) - lengths
    pos = torch.arange(len(segment), device=values.device) - first[segment]
    out = torch.zeros((n, t_max, *values.shape[1:]), dtype=values.dtype, device=values.device)
    out[segment, pos] = values
    mask = torch.zeros((n, t_max), dtype=torch.bool, device=values.device)
    mask[segment, pos] = True
    return out, mask


class DeviceBuffer:
    """Packed tensors of a dataset on ``device`` plus the episode table of one view.

    Args:
        data: an ``EpisodeDataset`` (all episodes) or an ``EpisodeView`` (filtered, possibly
            repeated or weighted episodes).
        device: torch device for the tensors and for sampling.
    """

    def __init__(self, data: EpisodeDataset | EpisodeView, device: str | torch.device = "cpu"):
        view = as_view(data)
        ds = view.dataset
        self.device = torch.device(device)
        self.dataset = ds

        def t(a, dtype=None):
            return torch.as_tensor(a, device=self.device, dtype=dtype)

        self.observations = t(ds.observations)
        self.actions = t(ds.actions)
        self.rewards = t(ds.rewards)
        self.next_observations = t(ds.next_observations)
        self.terminations = t(ds.terminations)
        self.truncations = t(ds.truncations)
        self.offsets = t(ds.offsets, torch.int64)
        self._set_view(view)

    def _set_view(self, view: EpisodeView) -> None:
        self.view = view
        self.view_episodes = torch.as_tensor(view.episodes, device=self.device)
        self.starts = self.offsets[self.view_episodes]
        self.lengths = self.offsets[self.view_episodes + 1] - self.starts
        self.view_cum = torch.cumsum(self.lengths, 0)
        self.total_steps = int(view.num_steps)
        if view.weights is None:
            self.episode_probs = None
            self.step_probs = None
        else:
            w = torch.as_tensor(view.weights, device=self.device, dtype=torch.float64)
            self.episode_probs = (w / w.sum()).float()
            sw = w * self.lengths
            self.step_probs = (sw / sw.sum()).float()

    def restrict(self, data: EpisodeView) -> DeviceBuffer:
        """A buffer over another view of the same dataset, sharing this one's tensors."""
        if data.dataset is not self.dataset:
            raise ValueError("the view must be of the same dataset as the buffer")
        other = copy.copy(self)
        other._set_view(data)
        return other

    @property
    def num_episodes(self) -> int:
        return len(self.lengths)

    def sample_transitions(self, batch_size: int, generator: torch.Generator
                           ) -> TransitionBatch:
        """Steps drawn uniformly from the view's steps (weighted by episode weight if any)."""
        dev = self.device
        if self.step_probs is None:
            k = torch.randint(self.total_steps, (batch_size,), generator=generator, device=dev)
            ep = torch.searchsorted(self.view_cum, k, right=True)
            within = k - (self.view_cum[ep] - self.lengths[ep])
        else:
            ep = torch.multinomial(self.step_probs, batch_size, replacement=True,
                                   generator=generator)
            u = torch.rand(batch_size, generator=generator, device=dev)
            within = torch.minimum((u * self.lengths[ep]).long(), self.lengths[ep] - 1)
        return self.transitions_at(ep, within)

    def transitions_at(self, ep: torch.Tensor, within: torch.Tensor) -> TransitionBatch:
        """The transitions at step ``within`` of view episode ``ep`` (index tensors of any
        shape; the batch's fields take that shape as their leading dimensions)."""
        idx = self.starts[ep] + within
        has_next = within < self.lengths[ep] - 1
        next_idx = torch.where(has_next, idx + 1, idx)
        return TransitionBatch(
            observations=self.observations[idx],
            actions=self.actions[idx],
            rewards=self.rewards[idx],
            next_observations=self.next_observations[idx],
            terminations=self.terminations[idx].float(),
            next_actions=self.actions[next_idx] * has_next[..., None],
            has_next_action=has_next.float(),
        )

    def sample_episode_ids(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n,) positions in the view's episode table, uniform or by weight, with replacement."""
        if self.episode_probs is None:
            return torch.randint(self.num_episodes, (n,), generator=generator,
                                 device=self.device)
        return torch.multinomial(self.episode_probs, n, replacement=True, generator=generator)

    def sample_episodes(self, n: int, generator: torch.Generator,
                        steps_per_episode: int | None = None) -> EpisodeBatch:
        """``n`` episodes of the view, packed: whole, or ``steps_per_episode`` steps drawn
        uniformly (with replacement) from each, an unbiased sample of per-episode step means
        that costs no host sync."""
        ids = self.sample_episode_ids(n, generator)
        if steps_per_episode is None:
            return self.gather_episodes(ids)
        k = steps_per_episode
        u = torch.rand((n, k), generator=generator, device=self.device)
        lengths = self.lengths[ids]
        within = torch.minimum((u * lengths[:, None]).long(), lengths[:, None] - 1)
        idx = (self.starts[ids][:, None] + within).reshape(-1)
        return self._batch(idx, torch.arange(n, device=self.device).repeat_interleave(k),
                           torch.full((n,), k, device=self.device), ids)

    def gather_episodes(self, ids: torch.Tensor) -> EpisodeBatch:
        """The whole episodes at positions ``ids`` of the view's table, packed."""
        lengths = self.lengths[ids]
        starts = self.starts[ids]
        segment = torch.repeat_interleave(torch.arange(len(ids), device=self.device), lengths)
        first = torch.cumsum(lengths, 0) - lengths
        idx = starts[segment] + torch.arange(len(segment), device=self.device) - first[segment]
        return self._batch(idx, segment, lengths, ids)

    def _batch(self, idx: torch.Tensor, segment: torch.Tensor, lengths: torch.Tensor,
               ids: torch.Tensor) -> EpisodeBatch:
        return EpisodeBatch(
            observations=self.observations[idx],
            actions=self.actions[idx],
            rewards=self.rewards[idx],
            terminations=self.terminations[idx],
            truncations=self.truncations[idx],
            segment=segment,
            lengths=lengths,
            episodes=self.view_episodes[ids],
            rows=idx,
        )


def to_device(data: EpisodeDataset | EpisodeView, device: str | torch.device = "cpu"
              ) -> DeviceBuffer:
    """Copy a dataset (or view) to ``device`` as a ``DeviceBuffer``."""
    return DeviceBuffer(data, device)
