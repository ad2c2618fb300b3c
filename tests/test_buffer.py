"""Device buffer: packed episodes, segment sums, sampling from views."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from curatedrl.datasets import (
    make_generator,
    pad_segments,
    percentile_strata,
    quality_weights,
    segment_sum,
    to_device,
)
from tests.conftest import hand_dataset


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=15), st.integers(0, 2**31 - 1))
def test_packed_segment_sums_equal_padded_masked_sums(lengths, seed):
    ds = hand_dataset(list(range(len(lengths))), lengths=lengths, seed=seed % 1000)
    buf = to_device(ds)
    batch = buf.sample_episodes(7, make_generator(seed))
    packed = segment_sum(batch.observations, batch.segment, batch.num_episodes)
    padded, mask = pad_segments(batch.observations, batch.segment, batch.lengths)
    reference = (padded * mask[..., None]).sum(1)
    torch.testing.assert_close(packed, reference)
    assert mask.sum(1).tolist() == batch.lengths.tolist()
    # each gathered episode is exactly that episode of the dataset
    for j, e in enumerate(batch.episodes.tolist()):
        np.testing.assert_array_equal(batch.observations[batch.segment == j].numpy(),
                                      ds.episode(e)["observations"])


def test_episode_returns_by_segment_sum():
    ds = hand_dataset([3.0, 10.0, -2.0], lengths=[2, 5, 1])
    buf = to_device(ds)
    batch = buf.gather_episodes(torch.tensor([2, 0, 1, 1]))
    sums = segment_sum(batch.rewards.double(), batch.segment, 4)
    np.testing.assert_allclose(sums.numpy(), [-2.0, 3.0, 10.0, 10.0], rtol=1e-6)
    assert batch.terminations.sum() == 4


def test_sampling_is_reproducible_and_uses_the_generator():
    ds = hand_dataset(list(range(20)), lengths=list(range(1, 21)))
    buf = to_device(ds)
    a = buf.sample_transitions(64, make_generator(5))
    torch.manual_seed(123)  # the global RNG plays no part
    b = buf.sample_transitions(64, make_generator(5))
    torch.testing.assert_close(a.observations, b.observations)
    c = buf.sample_transitions(64, make_generator(6))
    assert not torch.equal(a.observations, c.observations)


def test_transitions_are_uniform_over_the_views_steps():
    ds = hand_dataset([0.0, 3.0, 12.0], lengths=[1, 3, 6])  # per-step rewards 0, 1, 2
    buf = to_device(ds)
    batch = buf.sample_transitions(20000, make_generator(0))
    episodes = batch.rewards.round().long().numpy()
    freq = np.bincount(episodes, minlength=3) / len(episodes)
    np.testing.assert_allclose(freq, [0.1, 0.3, 0.6], atol=0.02)


def test_views_share_tensors_and_respect_repetition_and_weights():
    ds = hand_dataset(list(map(float, range(100))), lengths=[2] * 100)
    buf = to_device(ds)
    strata = buf.restrict(percentile_strata(ds))
    assert strata.observations is buf.observations
    ids = strata.sample_episodes(30000, make_generator(1)).episodes.numpy()
    freq = np.bincount(ids, minlength=100) / len(ids)
    assert set(np.flatnonzero(freq).tolist()) == set(range(90, 100))
    np.testing.assert_allclose(freq[99] / freq[90], 3.0, rtol=0.15)  # top-2% thrice
    np.testing.assert_allclose(freq[96] / freq[90], 2.0, rtol=0.15)  # top-5% twice

    quality = buf.restrict(quality_weights(ds))
    ids = quality.sample_episodes(30000, make_generator(2)).episodes.numpy()
    assert 0 not in ids  # weight 0: never sampled
    freq = np.bincount(ids, minlength=100)
    np.testing.assert_allclose(freq[99] / freq[33], 3.0, rtol=0.25)
    steps = quality.sample_transitions(1000, make_generator(3))
    assert torch.all(steps.rewards > 0)


def test_restrict_refuses_another_datasets_view():
    a, b = hand_dataset([1.0, 2.0]), hand_dataset([1.0, 2.0])
    with pytest.raises(ValueError, match="same dataset"):
        to_device(a).restrict(percentile_strata(b))
