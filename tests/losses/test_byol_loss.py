"""BYOL's negative cosine against lightly's NegativeCosineSimilarity."""

import pytest
import torch

from eeg_ssl.losses import BYOLLoss, byol_loss, negative_cosine_similarity

lightly_loss = pytest.importorskip("lightly.loss")


def _pairs(seed, shape=(16, 32)):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=gen) for _ in range(4)]


def test_negative_cosine_similarity__matches_lightly():
    p, z, _, _ = _pairs(0)
    ref = lightly_loss.NegativeCosineSimilarity()(p, z)
    torch.testing.assert_close(negative_cosine_similarity(p, z), ref, rtol=1e-6, atol=1e-7)


def test_byol_loss__matches_lightly_symmetrised():
    p_a, p_b, z_a, z_b = _pairs(1)
    crit = lightly_loss.NegativeCosineSimilarity()
    ref = 0.5 * (crit(p_a, z_b) + crit(p_b, z_a))
    torch.testing.assert_close(byol_loss(p_a, p_b, z_a, z_b), ref, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(BYOLLoss()(p_a, p_b, z_a, z_b), ref, rtol=1e-6, atol=1e-7)


def test_byol_loss__bounds_and_stop_gradient():
    p_a, p_b, z_a, z_b = _pairs(2)
    assert byol_loss(p_a, p_b, p_b, p_a).item() == pytest.approx(-1.0, abs=1e-6)
    assert byol_loss(p_a, p_b, -p_b, -p_a).item() == pytest.approx(1.0, abs=1e-6)
    z_a.requires_grad_(True)
    p_b.requires_grad_(True)
    byol_loss(p_a, p_b, z_a, z_b).backward()
    assert z_a.grad is None  # the target branch gets no gradient
    assert p_b.grad is not None and p_b.grad.abs().sum() > 0


def test_negative_cosine_similarity__bad_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(4, 2\)"):
        negative_cosine_similarity(torch.zeros(4, 3), torch.zeros(4, 2))
