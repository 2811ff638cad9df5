"""MoCo's InfoNCE against a slow textbook version (queue order: tests/modules/test_queue.py)."""

import math

import pytest
import torch
import torch.nn.functional as F

from eeg_ssl.losses import MoCoLoss, moco_logits, moco_loss


def _textbook_logits(query, key, queue, temperature):
    """Equation (1) of He et al. 2020, one scalar at a time: [q.k+, q.k_1, ..., q.k_K] / t."""
    rows = []
    for q, k in zip(query.tolist(), key.tolist()):
        qn = math.sqrt(sum(v * v for v in q))
        kn = math.sqrt(sum(v * v for v in k))
        q = [v / qn for v in q]
        k = [v / kn for v in k]
        row = [sum(a * b for a, b in zip(q, k)) / temperature]
        row += [sum(a * b for a, b in zip(q, neg)) / temperature for neg in queue.tolist()]
        rows.append(row)
    return rows


def _textbook_loss(rows):
    return sum(-row[0] + math.log(sum(math.exp(v) for v in row)) for row in rows) / len(rows)


@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_moco_logits__match_textbook(temperature):
    gen = torch.Generator().manual_seed(0)
    query, key = torch.randn(5, 6, generator=gen), torch.randn(5, 6, generator=gen)
    queue = F.normalize(torch.randn(7, 6, generator=gen), dim=1)
    logits, targets = moco_logits(query, key, queue, temperature)
    expected = _textbook_logits(query, key, queue, temperature)
    torch.testing.assert_close(logits, torch.tensor(expected), rtol=1e-5, atol=1e-5)
    assert targets.tolist() == [0] * 5
    loss = moco_loss(query, key, queue, temperature).item()
    assert loss == pytest.approx(_textbook_loss(expected), rel=1e-5)
    assert MoCoLoss(temperature)(query, key, queue).item() == pytest.approx(loss, rel=1e-6)


def test_moco_loss__gradient_only_through_query():
    gen = torch.Generator().manual_seed(1)
    query = torch.randn(4, 3, generator=gen, requires_grad=True)
    key = torch.randn(4, 3, generator=gen, requires_grad=True)
    queue = F.normalize(torch.randn(6, 3, generator=gen), dim=1).requires_grad_(True)
    moco_loss(query, key, queue).backward()
    assert query.grad.abs().sum() > 0
    assert key.grad is None and queue.grad is None


def test_moco_loss__lower_when_key_matches_query():
    gen = torch.Generator().manual_seed(2)
    query, queue = (
        torch.randn(8, 16, generator=gen),
        F.normalize(torch.randn(32, 16, generator=gen), dim=1),
    )
    other = torch.randn(8, 16, generator=gen)
    assert moco_loss(query, query, queue).item() < moco_loss(query, other, queue).item()
