"""NT-Xent against lightly's implementation and a slow textbook version."""

import math

import pytest
import torch

from eeg_ssl.losses import NTXentLoss, nt_xent_loss


def _textbook(z_a, z_b, temperature):
    """Equation (1) of Chen et al. 2020, written with loops."""
    z = torch.cat([z_a, z_b])
    z = z / z.norm(dim=1, keepdim=True)
    n, batch = len(z), len(z_a)
    total = 0.0
    for i in range(n):
        j = (i + batch) % n
        denom = sum(math.exp(float(z[i] @ z[k]) / temperature) for k in range(n) if k != i)
        total += -math.log(math.exp(float(z[i] @ z[j]) / temperature) / denom)
    return total / n


@pytest.mark.parametrize("temperature", [0.07, 0.1, 0.5, 1.0])
def test_nt_xent_loss__matches_lightly(temperature):
    lightly_loss = pytest.importorskip("lightly.loss")
    gen = torch.Generator().manual_seed(0)
    z_a, z_b = torch.randn(16, 32, generator=gen), torch.randn(16, 32, generator=gen)
    ours = nt_xent_loss(z_a, z_b, temperature)
    ref = lightly_loss.NTXentLoss(temperature=temperature)(z_a, z_b)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_nt_xent_loss__matches_textbook():
    gen = torch.Generator().manual_seed(1)
    z_a, z_b = torch.randn(6, 8, generator=gen), torch.randn(6, 8, generator=gen)
    assert nt_xent_loss(z_a, z_b, 0.2).item() == pytest.approx(_textbook(z_a, z_b, 0.2), rel=1e-5)


def test_nt_xent_loss__symmetric_and_low_for_aligned_views():
    gen = torch.Generator().manual_seed(2)
    z_a, z_b = torch.randn(8, 16, generator=gen), torch.randn(8, 16, generator=gen)
    torch.testing.assert_close(nt_xent_loss(z_a, z_b), nt_xent_loss(z_b, z_a))
    assert nt_xent_loss(z_a, z_a).item() < nt_xent_loss(z_a, z_b).item()


def test_nt_xent_loss__bad_input():
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(4, 2\)"):
        nt_xent_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="at least 2 windows"):
        nt_xent_loss(torch.zeros(1, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="'temperature' must be > 0"):
        NTXentLoss(0.0)


def test_nt_xent_loss__gradients_match_lightly():
    lightly_loss = pytest.importorskip("lightly.loss")
    gen = torch.Generator().manual_seed(3)
    z_a = torch.randn(32, 16, generator=gen, requires_grad=True)
    z_b = torch.randn(32, 16, generator=gen, requires_grad=True)
    grads = torch.autograd.grad(nt_xent_loss(z_a, z_b, 0.2), (z_a, z_b))
    ref = torch.autograd.grad(lightly_loss.NTXentLoss(temperature=0.2)(z_a, z_b), (z_a, z_b))
    for ours, theirs in zip(grads, ref):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-7)
