"""Barlow Twins against lightly's BarlowTwinsLoss and a loop-based textbook version."""

import pytest
import torch

from eeg_ssl.losses import BarlowTwinsLoss, barlow_twins_loss, cross_correlation

lightly_loss = pytest.importorskip("lightly.loss")


def _textbook(z_a, z_b, lambda_param, eps=1e-5):
    """Equations of Zbontar et al. 2021 with explicit loops, in float64."""
    z_a, z_b = z_a.double(), z_b.double()
    n, d = z_a.shape
    a = (z_a - z_a.mean(0)) / (z_a.var(0, unbiased=False) + eps).sqrt()
    b = (z_b - z_b.mean(0)) / (z_b.var(0, unbiased=False) + eps).sqrt()
    total = 0.0
    for i in range(d):
        for j in range(d):
            c_ij = float((a[:, i] * b[:, j]).sum()) / n
            total += (1 - c_ij) ** 2 if i == j else lambda_param * c_ij**2
    return total


@pytest.mark.parametrize("lambda_param", [5e-3, 0.05, 1.0])
def test_barlow_twins_loss__matches_lightly(lambda_param):
    gen = torch.Generator().manual_seed(0)
    z_a = torch.randn(64, 32, generator=gen)
    z_b = z_a + 0.5 * torch.randn(64, 32, generator=gen)
    ref = lightly_loss.BarlowTwinsLoss(lambda_param=lambda_param)(z_a, z_b)
    torch.testing.assert_close(
        barlow_twins_loss(z_a, z_b, lambda_param), ref, rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(BarlowTwinsLoss(lambda_param)(z_a, z_b), ref, rtol=1e-5, atol=1e-5)


def test_barlow_twins_loss__matches_textbook():
    gen = torch.Generator().manual_seed(1)
    z_a, z_b = torch.randn(10, 6, generator=gen), torch.randn(10, 6, generator=gen)
    expected = _textbook(z_a, z_b, 0.1)
    assert barlow_twins_loss(z_a, z_b, 0.1).item() == pytest.approx(expected, rel=1e-5)


def test_barlow_twins_loss__gradients_match_lightly():
    gen = torch.Generator().manual_seed(2)
    z_a = torch.randn(64, 32, generator=gen, requires_grad=True)
    z_b = torch.randn(64, 32, generator=gen, requires_grad=True)
    ours = torch.autograd.grad(barlow_twins_loss(z_a, z_b), (z_a, z_b))
    ref = torch.autograd.grad(lightly_loss.BarlowTwinsLoss()(z_a, z_b), (z_a, z_b))
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, rtol=1e-4, atol=1e-6)


def test_cross_correlation__identity_for_identical_decorrelated_views():
    z = torch.linalg.qr(torch.randn(128, 8, generator=torch.Generator().manual_seed(3)))[0]
    c = cross_correlation(z, z)
    torch.testing.assert_close(c.diagonal(), torch.ones(8), rtol=1e-3, atol=1e-3)


def test_barlow_twins_loss__bad_input():
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(4, 2\)"):
        barlow_twins_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="'lambda_param' must be >= 0"):
        BarlowTwinsLoss(-1.0)
