"""The leaderboard's decision rule for a claim "X vs Y": paired by seed, a t-test per dataset,
Holm across the datasets of the claim.

The rule (issue 30), the only one the leaderboard, the site and results/README.md read from:

- **Pairs.** On one dataset, X's and Y's runs are paired by seed id (the seeds both have) and
  d_i = X_i − Y_i. For the BC family the two runs of one seed share π_ref and the data, so they
  are true pairs; for the others pairing by seed id is still valid, the pairs being independent.
- **Test.** A two-sided paired t-test (a one-sample t-test of d against 0, n − 1 degrees of
  freedom) with the 95% t-interval d̄ ± t_{0.975, n−1} · s / √n. Fewer than ``MIN_PAIRS`` (3)
  pairs: no reading ("too few seeds"). All d_i equal (s = 0): p = 1 if d̄ = 0, else p = 0, and
  the interval is [d̄, d̄].
- **Correction.** Holm's step-down procedure across the datasets of one claim: one (X, Y) pair
  read on k datasets is one family of k tests, family-wise α = ``ALPHA`` (0.05).
- **Reading** per dataset: "X higher" if the Holm-adjusted p < α and d̄ > 0, "Y higher" if it
  is < α and d̄ < 0, else "not separated".

``sign_flip_p`` (the exact sign-flip permutation p of d̄) is shown beside it as a secondary,
descriptive figure, never as the reading: with n pairs it cannot go below 2 / 2^n (0.0625 at
n = 5). tests/test_paired_stats.py simulates the null at 3, 5 and 10 seeds. Everything here is
pure arithmetic on arrays: the functions work along the last axis, batched over the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
MIN_PAIRS = 3
EXACT_FLIPS = 16  # sign_flip_p enumerates all 2^n flips up to this n, samples them above
SAMPLED_FLIPS = 2 ** 16

X_HIGHER, Y_HIGHER, NOT_SEPARATED, TOO_FEW = "X higher", "Y higher", "not separated", \
    "too few seeds"
VERDICTS = (X_HIGHER, Y_HIGHER, NOT_SEPARATED, TOO_FEW)


def paired_differences(x: dict[int, float], y: dict[int, float]) -> np.ndarray:
    """X − Y seed by seed over the seeds both have ({seed id: score} each), in seed order."""
    return np.array([x[s] - y[s] for s in sorted(set(x) & set(y))], dtype=float)


def paired_t(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(d̄, lo, hi, p) of the two-sided paired t-test of the pairs on the last axis (at least
    2): the mean difference, its 95% t-interval and the p-value. All pairs equal (s = 0):
    p = 1 when d̄ = 0, else 0, and the interval is [d̄, d̄]."""
    from scipy.stats import t as student

    d = np.asarray(d, dtype=float)
    n = d.shape[-1]
    mean = d.mean(axis=-1)
    flat = d.max(axis=-1) == d.min(axis=-1)
    se = np.where(flat, 0.0, d.std(axis=-1, ddof=1) / np.sqrt(n))
    half = student.ppf(1 - ALPHA / 2, n - 1) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * student.sf(np.abs(mean) / se, n - 1)
    p = np.where(flat, np.where(mean == 0, 1.0, 0.0), p)
    return mean, mean - half, mean + half, p


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values of the family on the last axis: the i-th smallest
    p times (m − i + 1), made non-decreasing in that order and capped at 1."""
    p = np.asarray(p, dtype=float)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    ranked = np.minimum(1.0, np.maximum.accumulate(ranked, axis=-1))
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked, axis=-1)
    return out


def sign_flip_p(d: np.ndarray) -> float:
    """The two-sided sign-flip permutation p of the mean of d: the share of sign flips of the
    pairs whose mean is at least as far from 0 as d̄. Exact (all 2^n flips) for n ≤ 16; above,
    2^16 random flips with a fixed seed, counting the observed one. No pairs: 1."""
    d = np.asarray(d, dtype=float)
    n = d.size
    if n == 0:
        return 1.0
    if n <= EXACT_FLIPS:
        signs = 1 - 2 * ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1)
    else:
        signs = np.random.default_rng(0).choice([-1, 1], size=(SAMPLED_FLIPS, n))
    sums = np.abs(signs @ d)
    hits = int(np.sum(sums >= abs(d.sum()) - 1e-9 * max(1.0, float(np.abs(d).sum()))))
    return hits / 2 ** n if n <= EXACT_FLIPS else (hits + 1) / (SAMPLED_FLIPS + 1)


def verdicts(mean: np.ndarray, p_holm: np.ndarray) -> np.ndarray:
    """The reading of each test from its mean difference and Holm-adjusted p."""
    sep = np.asarray(p_holm) < ALPHA
    return np.where(sep & (np.asarray(mean) > 0), X_HIGHER,
                    np.where(sep & (np.asarray(mean) < 0), Y_HIGHER, NOT_SEPARATED))


@dataclass(frozen=True)
class Reading:
    """One dataset of a claim: the pairs, and (with at least ``MIN_PAIRS``) d̄ with its
    95% t-interval, the raw and Holm-adjusted p, the sign-flip p and the verdict."""

    pairs: int
    verdict: str
    mean: float | None = None
    lo: float | None = None
    hi: float | None = None
    p: float | None = None
    p_holm: float | None = None
    sign_flip: float | None = None


def read_claim(diffs: dict[str, np.ndarray]) -> dict[str, Reading]:
    """The claim's reading on every dataset ({dataset: paired differences X − Y}): datasets
    with at least ``MIN_PAIRS`` pairs form the Holm family; the others read "too few seeds"."""
    tested = [k for k, d in diffs.items() if len(d) >= MIN_PAIRS]
    stats = {k: paired_t(diffs[k]) for k in tested}
    adjusted = dict(zip(tested, holm(np.array([float(stats[k][3]) for k in tested]))))
    out = {}
    for k, d in diffs.items():
        if k not in stats:
            out[k] = Reading(len(d), TOO_FEW)
            continue
        mean, lo, hi, p = (float(v) for v in stats[k])
        out[k] = Reading(len(d), str(verdicts(mean, adjusted[k])), mean, lo, hi, p,
                         float(adjusted[k]), sign_flip_p(d))
    return out
