"""The leaderboard's decision rule (benchmarks/leaderboard/paired.py): the paired t-test, Holm and
the sign-flip p against hand-computed cases, and its false-positive rate simulated under the null at
the seed counts the schedules use, per dataset and across a claim's nine datasets. The same
simulation shows that the rule it replaced (a bootstrap interval of P(X > Y) that excludes 0.5)
fires more often than its nominal 5% at 5 seeds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from curatedrl.benchmarks.leaderboard.paired import ALPHA, NOT_SEPARATED, TOO_FEW, X_HIGHER, \
    Y_HIGHER, holm, paired_differences, paired_t, read_claim, sign_flip_p, verdicts
from curatedrl.benchmarks.leaderboard.stats import probability_of_improvement

TRIALS = 4000
DATASETS = 9  # one claim read on the suite's nine datasets


def normal(rng, size):
    return rng.normal(50.0, 10.0, size)


def runs_or_falls(rng, size):
    """Hopper-like scores: a run that keeps its gait (70%) or one that falls (30%)."""
    falls = rng.random(size) < 0.3
    return np.where(falls, rng.normal(60.0, 10.0, size), rng.normal(100.0, 5.0, size))


def bound(trials: int) -> float:
    """α plus three Monte Carlo standard errors of a rate of α over ``trials``."""
    return ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / trials)


@pytest.mark.parametrize("draw", [normal, runs_or_falls])
@pytest.mark.parametrize("n", [3, 5, 10])
def test_null_false_positive_rate_per_dataset_and_per_claim(n, draw):
    """X and Y from the same distribution: the reading may say "X higher" or "Y higher" on a
    dataset at most 5% of the time, and on any of a claim's nine datasets (Holm) at most 5%."""
    rng = np.random.default_rng(1000 * n + len(draw.__name__))
    x, y = draw(rng, (TRIALS, DATASETS, n)), draw(rng, (TRIALS, DATASETS, n))
    mean, _, _, p = paired_t(x - y)
    alone = verdicts(mean[:, 0], p[:, 0]) != NOT_SEPARATED  # a dataset read on its own
    assert alone.mean() <= bound(TRIALS)
    family = (verdicts(mean, holm(p)) != NOT_SEPARATED).any(axis=-1)
    assert family.mean() <= bound(TRIALS)
    uncorrected = (p < ALPHA).any(axis=-1)  # the simulation sees a missing correction
    assert uncorrected.mean() > bound(TRIALS)


def test_the_old_rule_fires_more_often_than_its_nominal_rate_at_five_seeds():
    """A 95% bootstrap interval of P(X > Y) excluding 0.5, one dataset, 5 seeds, no difference:
    the simulation catches it above 5% (~9.5%), so it would catch the new rule too."""
    rng = np.random.default_rng(5)
    trials = 1500
    fired = 0
    for _ in range(trials):
        x, y = normal(rng, (5, 1)), normal(rng, (5, 1))
        _, lo, hi = probability_of_improvement(x, y)
        fired += lo > 0.5 or hi < 0.5
    assert fired / trials > bound(trials)


def test_paired_t_matches_a_hand_computed_case():
    # d = 1..5: mean 3, s = √2.5, se = √0.5; t = 3 / √0.5 = 4.2426 on 4 df;
    # t_{0.975, 4} = 2.7764 (tables), half-width 2.7764 · 0.70711 = 1.9632; p = 0.01324
    mean, lo, hi, p = paired_t(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert mean == 3.0
    assert lo == pytest.approx(3 - 1.96324, abs=1e-4) and hi == pytest.approx(3 + 1.96324, abs=1e-4)
    assert p == pytest.approx(0.01324, abs=1e-4)
    # batched over leading axes; all pairs equal: p = 1 at d̄ = 0, else 0, interval [d̄, d̄]
    mean, lo, hi, p = paired_t(np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]]))
    assert list(mean) == [2.0, 0.0, 0.0] and list(p[:2]) == [0.0, 1.0] and p[2] == 1.0
    assert list(lo[:2]) == [2.0, 0.0] and list(hi[:2]) == [2.0, 0.0]


def test_holm_matches_a_hand_computed_case():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    np.testing.assert_allclose(holm([[0.01, 0.02], [0.2, 0.01]]), [[0.02, 0.02], [0.2, 0.02]])


def test_sign_flip_p_matches_enumeration():
    assert sign_flip_p([1.0, 2.0, 3.0]) == 0.25  # |±1 ±2 ±3| ≥ 6: two flips of eight
    assert sign_flip_p([1.0] * 5) == 2 / 32  # the smallest p five pairs can give
    assert sign_flip_p([]) == 1.0 and sign_flip_p([0.0, 0.0, 0.0]) == 1.0
    d = np.random.default_rng(3).normal(1.0, 2.0, 7)
    flips = [abs(sum(s * v for s, v in zip(signs, d))) for signs in
             itertools.product([-1, 1], repeat=7)]
    assert sign_flip_p(d) == sum(f >= abs(d.sum()) - 1e-9 for f in flips) / 2 ** 7
    assert 0 < sign_flip_p(np.arange(1.0, 21.0)) < 1e-4  # sampled above 16 pairs


def test_runs_are_paired_by_seed_id():
    x = {0: 10.0, 1: 12.0, 3: 15.0}
    y = {0: 9.0, 1: 11.0, 2: 50.0, 3: 13.0}
    assert list(paired_differences(x, y)) == [1.0, 1.0, 2.0]


def test_a_claim_is_read_with_holm_across_its_datasets():
    up = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # p = 0.0132 alone
    readings = read_claim({"a": up, "b": -up, "c": np.array([0.5, -0.5, 0.2]),
                           "d": np.array([1.0, 2.0])})
    assert readings["a"].verdict == X_HIGHER and readings["b"].verdict == Y_HIGHER
    assert readings["a"].p_holm == pytest.approx(3 * 0.013236, abs=1e-5)  # family of three
    c = readings["c"]  # the largest p of three keeps its raw value
    assert c.verdict == NOT_SEPARATED and c.p_holm == c.p == pytest.approx(0.8429, abs=1e-4)
    assert readings["d"].verdict == TOO_FEW and readings["d"].pairs == 2
    assert readings["d"].mean is None
    # alone, or in a family of one, the same dataset reads the raw p
    assert read_claim({"a": up})["a"].p_holm == pytest.approx(0.013236, abs=1e-5)
    # seven more datasets with nothing in them: 0.0132 · 9 is above 0.05
    more = {f"z{i}": np.array([0.1, -0.1, 0.05]) for i in range(7)}
    assert read_claim({"a": up, "b": -up, **more})["a"].verdict == NOT_SEPARATED
