"""CPC InfoNCE against a slow textbook version (explicit loops over steps and negatives)."""

import math

import torch

from eeg_ssl.losses.cpc_loss import cpc_loss, info_nce_loss


def _textbook_cpc(z, preds):
    B, S, _ = z.shape
    per_k = []
    for k, pred in enumerate(preds, start=1):
        terms = []
        candidates = [(b, t) for b in range(B) for t in range(k, S)]  # batch x time negatives
        for b in range(B):
            for t in range(S - k):
                scores = [float(pred[b, t] @ z[bb, tt]) for bb, tt in candidates]
                pos = float(pred[b, t] @ z[b, t + k])
                log_den = math.log(sum(math.exp(s) for s in scores))
                terms.append(-(pos - log_den))
        per_k.append(sum(terms) / len(terms))
    return sum(per_k) / len(per_k)


def test_cpc_loss__matches_textbook():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(3, 6, 4, generator=g, dtype=torch.float64)
    preds = [torch.randn(3, 6, 4, generator=g, dtype=torch.float64) for _ in range(3)]
    assert abs(cpc_loss(z, preds).item() - _textbook_cpc(z, preds)) < 1e-9


def test_cpc_loss__perfect_predictions_give_low_loss():
    z = 10 * torch.nn.functional.normalize(torch.randn(4, 8, 16), dim=-1)
    shifted = [torch.cat([z[:, k:], z[:, :k]], dim=1) for k in (1, 2)]
    random = [torch.randn(4, 8, 16) for _ in (1, 2)]
    assert cpc_loss(z, shifted) < 0.1 < cpc_loss(z, random)


def test_info_nce_loss__uniform_scores_give_log_m():
    loss = info_nce_loss(torch.zeros(5, 3), torch.randn(5, 3))
    assert abs(loss.item() - math.log(5)) < 1e-6


def test_cpc_loss__rejects_too_many_steps():
    import pytest

    with pytest.raises(ValueError, match="n_prediction_steps"):
        cpc_loss(torch.randn(2, 3, 4), [torch.randn(2, 3, 4)] * 3)
