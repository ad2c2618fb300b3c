"""Property-based checks of the filters and the packed buffer: any episode lengths and returns,
single-step episodes and ties at a percentile cut included."""

from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from curatedrl.datasets import (DatasetMetadata, from_episodes, make_generator, min_return,
                                percentile_strata, quality_weights, to_device, top_fraction)
from curatedrl.errors import CuratedRLError

# Returns come from a few values (ties at every cut) or anywhere; lengths include 1.
RETURNS = st.one_of(st.sampled_from([-3.0, 0.0, 0.0, 1.5, 7.0]),
                    st.floats(-1e4, 1e4, allow_nan=False, width=32))
EPISODES = st.lists(st.tuples(st.integers(1, 6), RETURNS), min_size=1, max_size=25)
PERCENTILES = st.lists(st.floats(0, 100), min_size=1, max_size=4)
SETTINGS = settings(max_examples=60, deadline=None)


def indexed_dataset(episodes):
    """Episode i has the given (length, return); observation and action column 0 hold the global
    row index and column 1 the episode index, so every sampled row can be traced back. The
    return is one reward at the last step (exact sums)."""
    eps, row = [], 0
    for i, (n, ret) in enumerate(episodes):
        idx = np.arange(row, row + n, dtype=np.float32)
        obs = np.stack([idx, np.full(n, i, np.float32)], 1)
        rewards = np.zeros(n, np.float32)
        rewards[-1] = ret
        term = np.zeros(n, bool)
        term[-1] = True
        eps.append({"observations": obs, "next_observations": obs + 0.5, "actions": obs.copy(),
                    "rewards": rewards, "terminations": term, "truncations": np.zeros(n, bool)})
        row += n
    meta = DatasetMetadata("prop/example-v0", "test", "Hopper-v5", {}, 2, 2, [-1.0] * 2,
                           [1.0] * 2)
    return from_episodes(eps, meta)


@SETTINGS
@given(EPISODES, st.floats(0.01, 1.0))
def test_top_fraction_keeps_everything_at_or_above_the_cut_once(episodes, fraction):
    ds = indexed_dataset(episodes)
    r = ds.returns
    view = top_fraction(ds, fraction)
    cut = np.percentile(r, 100 * (1 - fraction))
    assert sorted(view.episodes.tolist()) == np.flatnonzero(r >= cut).tolist()
    kept = set(view.episodes.tolist())
    for value in np.unique(r):  # ties at the cut: all in or all out
        same = set(np.flatnonzero(r == value).tolist())
        assert same <= kept or not (same & kept)
    assert int(np.argmax(r)) in kept
    assert view.num_steps == int(ds.lengths[view.episodes].sum())


@SETTINGS
@given(EPISODES, PERCENTILES)
def test_strata_repeat_each_episode_once_per_cut_it_clears(episodes, percentiles):
    ds = indexed_dataset(episodes)
    r = ds.returns
    view = percentile_strata(ds, percentiles)
    counts = Counter(view.episodes.tolist())
    for i in range(ds.num_episodes):
        assert counts.get(i, 0) == sum(r[i] >= np.percentile(r, p) for p in percentiles)
    order = np.argsort(r, kind="stable")  # a better episode is repeated at least as often
    seq = [counts.get(int(i), 0) for i in order]
    assert seq == sorted(seq)
    assert counts[int(np.argmax(r))] == len(percentiles)
    assert view.num_steps == sum(ds.lengths[i] * c for i, c in counts.items())


@SETTINGS
@given(EPISODES, st.floats(-2e4, 2e4, allow_nan=False))
def test_min_return_keeps_exactly_the_episodes_at_or_above(episodes, threshold):
    ds = indexed_dataset(episodes)
    r = ds.returns
    expected = np.flatnonzero(r >= threshold).tolist()
    if not expected:
        with pytest.raises(CuratedRLError, match="leaves zero episodes .* range from"):
            min_return(ds, threshold)
        return
    assert min_return(ds, threshold).episodes.tolist() == expected


@SETTINGS
@given(EPISODES)
def test_quality_weights_are_monotone_in_return_and_in_0_1(episodes):
    ds = indexed_dataset(episodes)
    r, w = ds.returns, quality_weights(ds).weights
    assert np.all((w >= 0) & (w <= 1)) and w.max() == 1.0
    order = np.argsort(r, kind="stable")
    assert np.all(np.diff(w[order]) >= 0)
    for value in np.unique(r):
        assert len(set(w[r == value].tolist())) == 1


@SETTINGS
@given(EPISODES, PERCENTILES, st.integers(0, 2**31 - 1), st.integers(1, 40))
def test_sampled_transitions_come_from_the_view_with_the_right_successor(episodes, percentiles,
                                                                         seed, n):
    ds = indexed_dataset(episodes)
    view = percentile_strata(ds, percentiles)
    batch = to_device(ds).restrict(view).sample_transitions(n, make_generator(seed))
    rows = batch.observations[:, 0].long().numpy()
    eps = batch.observations[:, 1].long().numpy()
    assert set(eps.tolist()) <= set(view.episodes.tolist())
    last = ds.offsets[eps + 1] - 1
    assert np.all((ds.offsets[eps] <= rows) & (rows <= last))
    has_next = batch.has_next_action.numpy().astype(bool)
    np.testing.assert_array_equal(has_next, rows < last)  # a single-step episode has none
    np.testing.assert_array_equal(batch.next_actions[:, 0].numpy(),
                                  np.where(has_next, rows + 1, 0))
    np.testing.assert_array_equal(batch.next_observations[:, 0].numpy(), rows + 0.5)
    np.testing.assert_array_equal(batch.terminations.numpy(), rows == last)


@SETTINGS
@given(EPISODES, st.integers(0, 2**31 - 1), st.integers(1, 12), st.integers(0, 4))
def test_sampled_episodes_are_whole_or_subsampled_within_themselves(episodes, seed, n, k):
    ds = indexed_dataset(episodes)
    view = quality_weights(ds)
    buf = to_device(ds).restrict(view)
    batch = buf.sample_episodes(n, make_generator(seed), steps_per_episode=k or None)
    ep = batch.episodes.numpy()
    if view.weights.max() > view.weights.min():  # the worst episodes have weight 0
        assert np.all(view.weights[ep] > 0)
    seg_ep = batch.observations[:, 1].long().numpy()
    np.testing.assert_array_equal(seg_ep, ep[batch.segment.numpy()])
    assert len(batch.segment) == int(batch.lengths.sum())
    if k:
        assert batch.lengths.tolist() == [k] * n
    else:
        np.testing.assert_array_equal(batch.lengths.numpy(), ds.lengths[ep])
        for j, e in enumerate(ep):  # whole episodes, in order
            rows = batch.observations[batch.segment == j, 0].long().numpy()
            np.testing.assert_array_equal(rows, np.arange(ds.offsets[e], ds.offsets[e + 1]))
        sums = torch.zeros(n, dtype=torch.float64).index_add_(
            0, batch.segment, batch.rewards.double())
        np.testing.assert_allclose(sums.numpy(), ds.returns[ep], rtol=0, atol=0)


@SETTINGS
@given(EPISODES, st.integers(0, 2**31 - 1))
def test_sampling_is_a_function_of_the_generator_state(episodes, seed):
    buf = to_device(indexed_dataset(episodes))
    g = make_generator(seed)
    state = g.get_state()
    a = buf.sample_episodes(5, g).observations
    g.set_state(state)
    b = buf.sample_episodes(5, g).observations
    assert torch.equal(a, b)
