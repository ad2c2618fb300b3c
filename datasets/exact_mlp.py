"""MLP inference whose bits do not depend on the CPU: the behaviour policies' forward pass.

A BLAS matrix product (torch's, numpy's) sums in an order chosen by the kernel the CPU
dispatches to, and vectorised ``tanh`` / ``exp`` differ by an ulp between instruction sets; a
MuJoCo rollout turns one flipped bit into another trajectory. So a dataset generated with them
has other bytes on another CPU (measured: every policy-driven suite dataset, generated on an
Intel Xeon (AVX-512), differed from the ones made on an AMD EPYC; docs/datasets.md).

Here every operation is an IEEE 754 double-precision ``+ - * /``, ``floor``, ``ldexp`` or
``max``, applied elementwise in a fixed order, so the result is the same on every machine:

- a linear layer sums its products in eight lanes (input ``j`` in lane ``j % 8``, each lane
  left to right), then adds the lanes to the bias left to right (``linear``);
- ``tanh`` and ``exp`` are computed from a range reduction and a polynomial in basic operations.

The weights (float16 or float32) and observations (float32) are exact in float64, and the
output is rounded to float32 once, at the end.
"""

from __future__ import annotations

import numpy as np

LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k * LN2_HI is exact for |k| < 2^20
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e+00
EXP_MIN = -745.0  # exp below this is 0 in float64
EXP_MAX = 709.0
LANES = 8  # partial sums per output in ``linear``
TAYLOR = tuple(1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(17))


def exp(x: np.ndarray) -> np.ndarray:
    """e**x in float64 from basic operations (relative error ~1e-16 for |x| < 709)."""
    x = np.clip(np.asarray(x, dtype=np.float64), EXP_MIN, EXP_MAX)
    k = np.floor(x * INV_LN2 + 0.5)
    r = (x - k * LN2_HI) - k * LN2_LO  # |r| <= ln2 / 2 (+ rounding)
    p = np.full_like(r, TAYLOR[16])
    for c in TAYLOR[15::-1]:  # Horner, degree 16: truncation < 1e-19 on |r| <= 0.35
        p = p * r + c
    return np.ldexp(p, k.astype(np.int64))


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh in float64 from ``exp`` above: (1 - e^-2|x|) / (1 + e^-2|x|), sign restored
    (absolute error ~1e-16, which is all an activation needs)."""
    x = np.asarray(x, dtype=np.float64)
    t = exp(-2.0 * np.abs(x))
    y = (1.0 - t) / (1.0 + t)
    return np.where(x < 0.0, -y, y)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


ACTIVATIONS = {"relu": relu, "tanh": tanh}


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ weight.T + bias`` in float64, in a fixed order: input ``j`` goes to lane
    ``j % LANES``; each lane sums its inputs from 0.0 in increasing ``j``; the output is
    ``bias + lane 0 + lane 1 + ... + lane LANES-1``, left to right. (Lanes keep the numpy calls
    few: one multiply and one add per ``LANES`` inputs, vectorised over batch, outputs, lanes.)

    x: (n, in); weight: (out, in); bias: (out,)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    n, n_in = x.shape
    m = -(-n_in // LANES)
    pad = m * LANES - n_in  # zero inputs: x * 0 adds nothing
    xr = np.pad(x, ((0, 0), (0, pad))).reshape(n, m, LANES)
    wr = np.pad(w, ((0, 0), (0, pad))).reshape(w.shape[0], m, LANES)
    acc = np.zeros((n, w.shape[0], LANES))
    term = np.empty_like(acc)
    for i in range(m):
        np.multiply(xr[:, None, i, :], wr[None, :, i, :], out=term)
        np.add(acc, term, out=acc)
    out = np.repeat(np.asarray(bias, dtype=np.float64)[None, :], n, axis=0)
    for lane in range(LANES):
        out = out + acc[:, :, lane]
    return out


def mlp(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], activation: str
        ) -> np.ndarray:
    """The hidden layers with ``activation``, the last one linear; float64 in and out."""
    act = ACTIVATIONS[activation]
    for i, (w, b) in enumerate(layers):
        x = linear(x, w, b)
        if i < len(layers) - 1:
            x = act(x)
    return x
