"""VICReg against lightly's VICRegLoss (lambda, mu, nu = our three weights)."""

import pytest
import torch

from eeg_ssl.losses import VICRegLoss, covariance_term, variance_term, vicreg_loss

lightly_loss = pytest.importorskip("lightly.loss")
lightly_vicreg = pytest.importorskip("lightly.loss.vicreg_loss")


@pytest.mark.parametrize(
    "weights",
    [(25.0, 25.0, 1.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (5.0, 2.0, 0.3)],
)
def test_vicreg_loss__matches_lightly(weights):
    gen = torch.Generator().manual_seed(0)
    z_a, z_b = torch.randn(64, 24, generator=gen), 0.3 * torch.randn(64, 24, generator=gen)
    lam, mu, nu = weights
    ref = lightly_loss.VICRegLoss(lambda_param=lam, mu_param=mu, nu_param=nu)(z_a, z_b)
    torch.testing.assert_close(vicreg_loss(z_a, z_b, lam, mu, nu), ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(VICRegLoss(lam, mu, nu)(z_a, z_b), ref, rtol=1e-5, atol=1e-6)


def test_vicreg_terms__match_lightly():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(32, 16, generator=gen) @ torch.randn(16, 16, generator=gen)
    torch.testing.assert_close(
        covariance_term(z), lightly_vicreg.covariance_loss(z), rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(variance_term(0.2 * z), lightly_vicreg.variance_loss(0.2 * z))


def test_vicreg_loss__gradients_match_lightly():
    gen = torch.Generator().manual_seed(2)
    z_a = torch.randn(64, 32, generator=gen, requires_grad=True)
    z_b = torch.randn(64, 32, generator=gen, requires_grad=True)
    ours = torch.autograd.grad(vicreg_loss(z_a, z_b), (z_a, z_b))
    ref = torch.autograd.grad(lightly_loss.VICRegLoss()(z_a, z_b), (z_a, z_b))
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, rtol=1e-4, atol=1e-7)


def test_vicreg_loss__variance_term_zero_when_spread():
    z = torch.randn(256, 8, generator=torch.Generator().manual_seed(3)) * 3.0
    assert variance_term(z).item() == 0.0
    assert variance_term(z * 0.01).item() > 0.9  # collapsed embeddings are penalised


def test_vicreg_loss__bad_input():
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(4, 2\)"):
        vicreg_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="at least 2 windows"):
        vicreg_loss(torch.zeros(1, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="'variance_weight' must be >= 0"):
        VICRegLoss(variance_weight=-1.0)
