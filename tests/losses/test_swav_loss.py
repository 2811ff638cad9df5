"""SwAV loss and Sinkhorn-Knopp against lightly's SwaVLoss / sinkhorn."""

import pytest
import torch
import torch.nn.functional as F

from eeg_ssl.losses import SwAVLoss, sinkhorn_knopp, swapped_prediction, swav_loss

lightly_loss = pytest.importorskip("lightly.loss")
lightly_swav = pytest.importorskip("lightly.loss.swav_loss")


def _scores(seed, n_views, batch=32, n_protos=16, dim=8):
    gen = torch.Generator().manual_seed(seed)
    protos = F.normalize(torch.randn(n_protos, dim, generator=gen), dim=1)
    return [
        F.normalize(torch.randn(batch, dim, generator=gen), dim=1) @ protos.T
        for _ in range(n_views)
    ]


@pytest.mark.parametrize("n_iterations, epsilon", [(3, 0.05), (1, 0.1), (10, 0.03)])
def test_sinkhorn_knopp__matches_lightly(n_iterations, epsilon):
    (scores,) = _scores(0, 1)
    ours = sinkhorn_knopp(scores, n_iterations, epsilon)
    ref = lightly_swav.sinkhorn(scores, iterations=n_iterations, epsilon=epsilon)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(ours.sum(dim=1), torch.ones(32))  # one unit of mass per window


def test_sinkhorn_knopp__equipartition_after_many_iterations():
    (scores,) = _scores(1, 1, batch=64, n_protos=8)
    codes = sinkhorn_knopp(scores, n_iterations=50, epsilon=0.05)
    torch.testing.assert_close(codes.sum(dim=0), torch.full((8,), 64 / 8), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("n_high, n_low", [(2, 0), (3, 0), (2, 2), (1, 2)])
@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_swav_loss__matches_lightly(n_high, n_low, temperature):
    scores = _scores(2, n_high + n_low)
    high, low = scores[:n_high], scores[n_high:]
    ref = lightly_loss.SwaVLoss(temperature=temperature)(high, low).squeeze()
    torch.testing.assert_close(swav_loss(high, low, temperature), ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(SwAVLoss(temperature)(high, low), ref, rtol=1e-5, atol=1e-6)


def test_swav_loss__gradients_match_lightly():
    scores = [s.requires_grad_(True) for s in _scores(3, 2)]
    ours = torch.autograd.grad(swav_loss(scores), scores)
    ref = torch.autograd.grad(lightly_loss.SwaVLoss()(scores, []).sum(), scores)
    for o, r in zip(ours, ref):
        torch.testing.assert_close(o, r, rtol=1e-4, atol=1e-7)


def test_swapped_prediction__lower_when_scores_agree_with_codes():
    (scores,) = _scores(4, 1)
    codes = sinkhorn_knopp(scores)
    assert swapped_prediction(scores, codes).item() < swapped_prediction(-scores, codes).item()


def test_sinkhorn_knopp__stable_for_small_epsilon():
    scores = torch.tensor([[1.0, -1.0], [0.9, -0.9], [-1.0, 1.0]])
    codes = sinkhorn_knopp(scores, epsilon=0.001)
    assert torch.isfinite(codes).all()


def test_swav_loss__bad_input():
    (scores,) = _scores(5, 1)
    with pytest.raises(ValueError, match="at least 2 views|>= 2 views"):
        swav_loss([scores])
    with pytest.raises(ValueError, match="'epsilon'"):
        SwAVLoss(epsilon=0.0)
