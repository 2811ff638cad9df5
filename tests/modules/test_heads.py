"""Projection, prediction and prototype heads."""

import pytest
import torch
import torch.nn.functional as F

from eeg_ssl.modules import PredictionHead, ProjectionHead, Prototypes


@pytest.mark.parametrize("head", [ProjectionHead, PredictionHead])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_heads__shapes(head, n_layers):
    out = head(16, 32, 8, n_layers=n_layers)(torch.randn(5, 16))
    assert out.shape == (5, 8)


def test_prototypes__normalize_and_scores_are_cosines():
    protos = Prototypes(8, 4)
    with torch.no_grad():
        protos.layer.weight.mul_(3.0)
    protos.normalize()
    torch.testing.assert_close(protos.layer.weight.norm(dim=1), torch.ones(4))
    z = F.normalize(torch.randn(6, 8), dim=1)
    scores = protos(z)
    assert scores.shape == (6, 4)
    assert scores.abs().max() <= 1.0 + 1e-6


def test_prototypes__frozen_gets_no_gradient():
    protos = Prototypes(8, 4)
    z = torch.randn(3, 8, requires_grad=True)
    protos(z, frozen=True).sum().backward()
    assert protos.layer.weight.grad is None
    assert z.grad.abs().sum() > 0  # the projection still learns
    protos(torch.randn(3, 8)).sum().backward()
    assert protos.layer.weight.grad.abs().sum() > 0


def test_prototypes__bad_count():
    with pytest.raises(ValueError, match="'n_prototypes' must be >= 2; got 1"):
        Prototypes(8, 1)
