"""Tuning-budget curves: how good a policy one finds with n online evaluation episodes.

The protocol of Unifloral ("A Clean Slate for Offline RL", Jackson et al., NeurIPS 2025): K
trained policies are the arms of a UCB bandit. Each pull evaluates the chosen policy for one
episode, drawn uniformly (with replacement) from its recorded episodes. After n pulls the
bandit selects the policy with the highest empirical mean, and it scores the *true* mean of
that policy (the mean of all its recorded episodes). One trial draws a random subset of
``SUBSAMPLE`` policies (all K when K is smaller); the curve is the mean over ``TRIALS`` trials,
with a 95% percentile-bootstrap interval over trials, for n = 1 .. ``MAX_PULLS``.

As in Unifloral's code: UCB value = mean + sqrt(α ln t / count) with α = 2 and t the pulls so
far plus one, so the first pull is a random arm and every arm is pulled once before any twice;
ties are broken at random. One choice of ours: the selection after n pulls is among the arms
pulled so far (Unifloral's argmax also counts an unpulled arm's empty mean as 0). A fixed seed
makes every number reproducible, digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UCB_ALPHA = 2.0
SUBSAMPLE = 8  # policies per trial (Unifloral's evaluation notebook)
TRIALS = 500
MAX_PULLS = 200
BOOTSTRAP_REPS = 1000
TUNING_SEED = 17


def _random_argmax(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row, the index of a maximum, chosen uniformly among tied maxima."""
    ties = values == values.max(axis=1, keepdims=True)
    return np.argmax(np.where(ties, rng.random(values.shape), -1.0), axis=1)


def ucb_selections(arms: list[np.ndarray], pulls: int = MAX_PULLS, trials: int = TRIALS,
                   rng: np.random.Generator | None = None, subsample: int = SUBSAMPLE,
                   alpha: float = UCB_ALPHA) -> np.ndarray:
    """(trials, pulls): the true mean of the policy each trial selects after 1 .. ``pulls``
    pulls. ``arms``: one array of recorded episode scores per policy (any lengths)."""
    if not arms or any(len(a) == 0 for a in arms):
        raise ValueError("every arm needs at least one recorded episode")
    rng = np.random.default_rng(TUNING_SEED) if rng is None else rng
    true = np.array([float(np.mean(a)) for a in arms])
    lengths = np.array([len(a) for a in arms])
    table = np.zeros((len(arms), lengths.max()))
    for i, a in enumerate(arms):
        table[i, :len(a)] = a
    k = min(subsample, len(arms))
    chosen = np.argsort(rng.random((trials, len(arms))), axis=1)[:, :k]  # (trials, k) arm ids
    counts = np.zeros((trials, k))
    sums = np.zeros((trials, k))
    rows = np.arange(trials)
    out = np.empty((trials, pulls))
    for n in range(pulls):
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(counts > 0, sums / counts, 0.0)
            bonus = np.sqrt(alpha * np.log(n + 1) / counts)
        bonus[counts == 0] = np.inf if n > 0 else 0.0
        pick = _random_argmax(means + bonus, rng)
        arm = chosen[rows, pick]
        episode = np.floor(rng.random(trials) * lengths[arm]).astype(int)
        counts[rows, pick] += 1
        sums[rows, pick] += table[arm, episode]
        with np.errstate(divide="ignore", invalid="ignore"):
            empirical = np.where(counts > 0, sums / counts, -np.inf)
        out[:, n] = true[chosen[rows, _random_argmax(empirical, rng)]]
    return out


def bootstrap_interval(values: np.ndarray, rng: np.random.Generator,
                       reps: int = BOOTSTRAP_REPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of (trials, n) values: the mean over trials and its 95% percentile-bootstrap
    interval (trials resampled with replacement, the same resamples for every column)."""
    trials = values.shape[0]
    weights = rng.multinomial(trials, np.full(trials, 1.0 / trials), size=reps)
    boot = weights @ values / trials
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    return values.mean(axis=0), lo, hi


@dataclass
class TuningCurve:
    policies: int  # K
    mean: np.ndarray  # expected score of the selected policy after n = 1 .. MAX_PULLS pulls
    lo: np.ndarray
    hi: np.ndarray

    def at(self, n: int) -> tuple[float, float, float]:
        return float(self.mean[n - 1]), float(self.lo[n - 1]), float(self.hi[n - 1])


def tuning_curve(arms: list[np.ndarray], pulls: int = MAX_PULLS, trials: int = TRIALS,
                 seed: int = TUNING_SEED) -> TuningCurve:
    """The bandit's curve over ``arms`` with its bootstrap interval, from a fixed seed."""
    rng = np.random.default_rng(seed)
    mean, lo, hi = bootstrap_interval(ucb_selections(arms, pulls, trials, rng), rng)
    return TuningCurve(len(arms), mean, lo, hi)
