"""The offline-RL baselines' losses on hand examples: IQL's expectile loss, TD3+BC's actor loss
and its constant λ, IQL's and AWAC's clipped advantage weights, CQL's penalty and its signs."""

import math

import pytest
import torch

from curatedrl.algos.cql import cql_penalty
from curatedrl.algos.losses import advantage_weights, expectile_loss
from curatedrl.algos.td3_bc import td3_bc_actor_loss


def test_expectile_loss_hand_example():
    diff = torch.tensor([1.0, -2.0])
    # 0.7 · 1² and 0.3 · (−2)², averaged
    assert expectile_loss(diff, 0.7).item() == pytest.approx((0.7 + 0.3 * 4) / 2)
    assert expectile_loss(diff, 0.5).item() == pytest.approx(0.5 * (1 + 4) / 2)
    # the expectile above 0.5 penalises under-estimates (diff > 0) more
    assert expectile_loss(torch.tensor([1.0]), 0.9) > expectile_loss(torch.tensor([-1.0]), 0.9)


def test_td3_bc_actor_loss_hand_example_and_constant_lambda():
    q = torch.tensor([1.0, -3.0], requires_grad=True)
    pi = torch.tensor([[0.5, 0.0], [0.0, 0.0]])
    a = torch.zeros(2, 2)
    loss, lmbda = td3_bc_actor_loss(q, pi, a, alpha=2.5)
    # λ = 2.5 / mean|Q| = 2.5 / 2; −λ · mean Q = 1.25; MSE over all 4 entries = 0.25 / 4
    assert lmbda.item() == pytest.approx(1.25)
    assert loss.item() == pytest.approx(1.25 + 0.0625)
    loss.backward()
    torch.testing.assert_close(q.grad, torch.full((2,), -1.25 / 2))  # λ gets no gradient


def test_advantage_weights_are_clipped_at_100():
    adv = torch.tensor([-1.0, 0.0, 1.0, 10.0, 1e4])
    w = advantage_weights(adv, 3.0, 100.0)  # IQL, β = 3
    torch.testing.assert_close(w, torch.tensor([math.exp(-3), 1.0, math.exp(3), 100.0, 100.0]))
    w = advantage_weights(adv, 1.0 / (1.0 / 3.0), 100.0)  # AWAC, λ = 1/3
    assert w.max().item() == 100.0 and w[2].item() == pytest.approx(math.exp(3))


def test_cql_penalty_hand_example_and_signs():
    q_data = torch.tensor([[0.0]])
    q_sampled = torch.tensor([[[0.0, 0.0]]])
    zero = torch.zeros(1, 2)
    assert cql_penalty(q_data, q_sampled, zero).item() == pytest.approx(math.log(2.0))
    # the log-density of the proposal is subtracted: uniform on [−1, 1]^2 has log density −log 4
    uniform = torch.full((1, 2), -math.log(4.0))
    assert cql_penalty(q_data, q_sampled, uniform).item() == pytest.approx(math.log(8.0))
    # positive when sampled (out-of-distribution) actions look better than the data's ...
    assert cql_penalty(q_data, q_sampled + 5.0, zero).item() > 0
    # ... negative when the dataset action dominates
    assert cql_penalty(q_data + 10.0, q_sampled, zero).item() < 0
    # its gradient lowers Q of sampled actions and raises Q of dataset actions
    qd = torch.randn(2, 5, requires_grad=True)
    qs = torch.randn(2, 5, 7, requires_grad=True)
    cql_penalty(qd, qs, torch.zeros(5, 7)).sum().backward()
    torch.testing.assert_close(qd.grad, torch.full((2, 5), -1 / 5))
    assert torch.all(qs.grad > 0)
    torch.testing.assert_close(qs.grad.sum(-1), torch.full((2, 5), 1 / 5))
