"""The behaviour policies' CPU-independent forward pass (datasets/exact_mlp.py): bit for bit the
scalar IEEE double computation in the documented order, independent of the batch, and as
accurate as float64 BLAS / libm."""

import math

import numpy as np
import pytest
import torch

from curatedrl.datasets import exact_mlp
from curatedrl.datasets.behaviour import BehaviourPolicy, list_checkpoints


def scalar_exp(v: float) -> float:
    """exact_mlp.exp, one Python float at a time (every operation an IEEE double one)."""
    v = min(max(v, exact_mlp.EXP_MIN), exact_mlp.EXP_MAX)
    k = math.floor(v * exact_mlp.INV_LN2 + 0.5)
    r = (v - k * exact_mlp.LN2_HI) - k * exact_mlp.LN2_LO
    p = exact_mlp.TAYLOR[16]
    for c in exact_mlp.TAYLOR[15::-1]:
        p = p * r + c
    return math.ldexp(p, int(k))


def scalar_tanh(v: float) -> float:
    t = scalar_exp(-2.0 * abs(v))
    y = (1.0 - t) / (1.0 + t)
    return -y if v < 0.0 else y


def scalar_mlp(x, layers, activation):
    act = {"relu": lambda v: max(v, 0.0), "tanh": scalar_tanh}[activation]
    rows = []
    for row in x.tolist():
        h = row
        for i, (w, b) in enumerate(layers):
            out = []
            for o in range(w.shape[0]):
                lanes = [0.0] * exact_mlp.LANES
                for j in range(w.shape[1]):
                    lanes[j % exact_mlp.LANES] = lanes[j % exact_mlp.LANES] + h[j] * float(w[o, j])
                acc = float(b[o])
                for lane in lanes:
                    acc = acc + lane
                out.append(acc)
            h = [act(v) for v in out] if i < len(layers) - 1 else out
        rows.append(h)
    return np.array(rows)


def _layers(rng, sizes):
    return [(rng.normal(size=(o, i)).astype(np.float16).astype(np.float64) / np.sqrt(i),
             rng.normal(size=o).astype(np.float32).astype(np.float64))
            for i, o in zip(sizes[:-1], sizes[1:])]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_is_the_scalar_computation_bit_for_bit(activation):
    rng = np.random.default_rng(0)
    layers = _layers(rng, [5, 19, 16, 3])  # widths below, above and at multiples of LANES
    x = rng.normal(size=(4, 5)).astype(np.float32).astype(np.float64) * 3
    got = exact_mlp.mlp(x, layers, activation)
    assert got.tobytes() == scalar_mlp(x, layers, activation).tobytes()


def test_exp_and_tanh_are_the_scalar_computation_bit_for_bit():
    x = np.concatenate([np.random.default_rng(1).normal(size=500) * 20,
                        [0.0, -0.0, 1e-300, -1e-12, 700.0, -800.0, 19.0, -19.0]])
    assert exact_mlp.exp(x).tolist() == [scalar_exp(v) for v in x.tolist()]
    assert exact_mlp.tanh(x).tolist() == [scalar_tanh(v) for v in x.tolist()]


def test_exp_and_tanh_are_accurate():
    x = np.random.default_rng(2).normal(size=20_000) * 30
    x = x[x < 700]
    assert np.max(np.abs(exact_mlp.exp(x) / np.exp(x) - 1)) < 1e-15
    assert np.max(np.abs(exact_mlp.tanh(x) - np.tanh(x))) < 1e-15
    assert 0.0 <= exact_mlp.exp(np.array([-1000.0]))[0] < 1e-300


def test_a_row_does_not_depend_on_the_batch_it_is_in():
    """A BLAS product may sum a row in another order when the batch changes; this may not."""
    rng = np.random.default_rng(3)
    layers = _layers(rng, [17, 64, 64, 6])
    x = rng.normal(size=(9, 17))
    whole = exact_mlp.mlp(x, layers, "tanh")
    rows = np.concatenate([exact_mlp.mlp(x[i:i + 1], layers, "tanh") for i in range(9)])
    assert whole.tobytes() == rows.tobytes()


@pytest.mark.parametrize("env_key", ["hopper", "halfcheetah"])
def test_shipped_policy_mean_matches_a_float64_torch_forward(env_key):
    policy = BehaviourPolicy(list_checkpoints(env_key)[-1])
    obs = np.random.default_rng(4).normal(size=(8, policy.layers[0][0].shape[1]))
    x = torch.tensor(np.clip((obs.astype(np.float32).astype(np.float64) - policy.obs_mean)
                             / policy.obs_scale, -10, 10))
    act = torch.tanh if policy.activation == "tanh" else torch.relu
    for i, (w, b) in enumerate(policy.layers):
        x = torch.nn.functional.linear(x, torch.tensor(w), torch.tensor(b))
        x = act(x) if i < len(policy.layers) - 1 else x
    np.testing.assert_allclose(policy.mean64(obs), x.numpy(), rtol=0, atol=1e-12)
    assert policy.mean(obs).dtype == np.float32


def test_stochastic_policy_is_a_function_of_its_seed():
    path = list_checkpoints("hopper")[-1]
    obs = np.random.default_rng(5).normal(size=(8, 11))
    a, b, c = (BehaviourPolicy(path, stochastic=True, seed=s) for s in (7, 7, 8))
    assert a(obs).tobytes() == b(obs).tobytes() != c(obs).tobytes()
    assert a(obs).dtype == np.float32


def test_a_checkpoint_with_an_unknown_activation_is_refused_in_one_line(tmp_path):
    from safetensors.torch import load_file

    from curatedrl.datasets.behaviour import save_actor
    from curatedrl.errors import CuratedRLError

    tensors = load_file(str(list_checkpoints("hopper")[-1]))
    path = tmp_path / "step_00000001.safetensors"
    save_actor(path, tensors, "Hopper-v5", 1, activation="gelu")
    with pytest.raises(CuratedRLError, match="unknown activation 'gelu'.*known: relu, tanh"):
        BehaviourPolicy(path)
