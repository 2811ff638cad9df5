"""Mixup (i-Mix) loss pieces against textbook loops."""

import math

import torch

from eeg_ssl.losses.autoencoder_loss import reconstruction_loss, standardize_windows
from eeg_ssl.losses.mixup_loss import mix_batch, mixing_targets, mixup_contrastive_loss
from eeg_ssl.losses.transformation_prediction_loss import transformation_prediction_loss


def test_mix_batch_and_targets__textbook():
    X = torch.randn(4, 2, 5)
    lam, partner = torch.tensor([0.2, 0.5, 1.0, 0.7]), torch.tensor([1, 2, 3, 0])
    mixed = mix_batch(X, lam, partner)
    targets = mixing_targets(lam, partner)
    for i in range(4):
        torch.testing.assert_close(mixed[i], lam[i] * X[i] + (1 - lam[i]) * X[partner[i]])
        assert (
            abs(targets[i, i] - lam[i]) < 1e-7
            and abs(targets[i, partner[i]] - (1 - lam[i])) < 1e-7
        )
    torch.testing.assert_close(targets.sum(1), torch.ones(4))


def test_mixup_contrastive_loss__matches_textbook():
    g = torch.Generator().manual_seed(0)
    za, zb = (
        torch.randn(3, 4, generator=g, dtype=torch.float64),
        torch.randn(3, 4, generator=g, dtype=torch.float64),
    )
    lam, partner = torch.tensor([0.3, 0.9, 0.5], dtype=torch.float64), torch.tensor([2, 0, 1])
    targets = mixing_targets(lam, partner)
    expected = 0.0
    for i in range(3):
        sims = [float(za[i] @ zb[j] / (za[i].norm() * zb[j].norm())) / 0.5 for j in range(3)]
        log_z = math.log(sum(math.exp(s) for s in sims))
        expected -= sum(float(targets[i, j]) * (sims[j] - log_z) for j in range(3))
    assert abs(mixup_contrastive_loss(za, zb, targets, 0.5).item() - expected / 3) < 1e-9


def test_reconstruction_and_transformation_losses__textbook():
    a, b = torch.randn(2, 3, 7), torch.randn(2, 3, 7)
    assert abs(reconstruction_loss(a, b).item() - ((a - b) ** 2).mean().item()) < 1e-6
    z = standardize_windows(torch.randn(2, 3, 100) * 5 + 2)
    torch.testing.assert_close(z.mean(-1), torch.zeros(2, 3), atol=1e-5, rtol=0)
    logits, labels = torch.tensor([[1.0, 2.0, 0.0]]), torch.tensor([1])
    expected = -(2.0 - math.log(math.exp(1) + math.exp(2) + math.exp(0)))
    assert abs(transformation_prediction_loss(logits, labels).item() - expected) < 1e-6
