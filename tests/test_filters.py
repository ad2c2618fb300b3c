"""Episode filters on hand-computed examples, plus property-based checks."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curatedrl.datasets import min_return, percentile_strata, quality_weights, top_fraction
from curatedrl.errors import CuratedRLError
from tests.conftest import hand_dataset

RNG = np.random.default_rng(3)
ORDER = RNG.permutation(100)  # episode i has return ORDER[i]: returns 0..99, shuffled


@pytest.fixture
def hundred():
    return hand_dataset(ORDER.astype(float))


def ids_with_return(values):
    return {int(np.flatnonzero(ORDER == v)[0]) for v in values}


def test_percentile_strata_repeat_the_best_episodes(hundred):
    view = percentile_strata(hundred)
    counts = Counter(view.episodes.tolist())
    # cut-offs 89.1, 94.05, 97.02: top-10% = returns 90..99, top-5% = 95..99, top-2% = 98, 99
    assert view.num_episodes == 10 + 5 + 2
    assert {e for e, c in counts.items() if c == 3} == ids_with_return([98, 99])
    assert {e for e, c in counts.items() if c == 2} == ids_with_return([95, 96, 97])
    assert {e for e, c in counts.items() if c == 1} == ids_with_return(range(90, 95))
    assert view.num_steps == 17 * 3
    assert view.weights is None


def test_top_fraction(hundred):
    assert set(top_fraction(hundred, 0.1).episodes.tolist()) == ids_with_return(range(90, 100))
    assert top_fraction(hundred, 1.0).num_episodes == 100
    with pytest.raises(CuratedRLError, match="top fraction"):
        top_fraction(hundred, 0.0)


def test_min_return_and_empty_filter(hundred):
    assert set(min_return(hundred, 96.5).episodes.tolist()) == ids_with_return([97, 98, 99])
    with pytest.raises(CuratedRLError, match="leaves zero episodes"):
        min_return(hundred, 1000)


def test_quality_weights_are_min_max_normalised_returns(hundred):
    view = quality_weights(hundred)
    np.testing.assert_allclose(view.weights, ORDER / 99.0)
    flat = quality_weights(hand_dataset([5.0, 5.0, 5.0]))
    np.testing.assert_allclose(flat.weights, [1, 1, 1])


def test_percentiles_outside_0_100_are_refused(hundred):
    with pytest.raises(CuratedRLError, match="percentile must lie in \\[0, 100\\], got 101"):
        percentile_strata(hundred, (90, 101))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=40),
       st.lists(st.floats(0, 100), min_size=1, max_size=4))
def test_strata_counts_match_the_definition(returns, percentiles):
    ds = hand_dataset([float(r) for r in returns], lengths=[1] * len(returns))
    view = percentile_strata(ds, percentiles)
    counts = Counter(view.episodes.tolist())
    r = np.asarray(returns, float)
    for i in range(len(returns)):
        expected = sum(r[i] >= np.percentile(r, p) for p in percentiles)
        assert counts.get(i, 0) == expected
    # the best episode is always kept, once per stratum
    assert counts[int(np.argmax(r))] == len(percentiles)


def test_view_summary_describes_what_a_draw_holds():
    ds = hand_dataset([0.0, 10.0, 30.0, 40.0])  # mid-range return 20
    s = quality_weights(ds).summary()  # weights 0, 0.25, 0.75, 1 (sum 2)
    assert s["episodes (distinct)"] == 3  # the worst episode is never drawn
    assert (s["return min"], s["return max"]) == pytest.approx((10.0, 40.0))
    assert s["mean return of a draw"] == pytest.approx((0.25 * 10 + 0.75 * 30 + 40) / 2)
    assert s["draws with return >= mid-range"] == pytest.approx(1.75 / 2)
    strata = percentile_strata(ds, (0.0, 50.0)).summary()  # episodes 0-3, then 2-3 again
    assert strata["episodes (distinct)"] == 4
    assert strata["mean return of a draw"] == pytest.approx((80 + 70) / 6)
    assert strata["draws with return >= mid-range"] == pytest.approx(4 / 6)
