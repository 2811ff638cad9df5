"""MAE masked MSE, masking and patchify against slow textbook versions."""

import torch

from eeg_ssl.losses.mae_loss import masked_mse_loss, normalize_patches
from eeg_ssl.modules.transformer import MAEDecoder, patchify, random_masking


def _textbook_masked_mse(pred, target, mask):
    total, count = 0.0, 0
    for b in range(pred.shape[0]):
        for n in range(pred.shape[1]):
            if mask[b, n] == 1:
                total += (
                    sum((float(p) - float(t)) ** 2 for p, t in zip(pred[b, n], target[b, n]))
                    / pred.shape[2]
                )
                count += 1
    return total / count


def test_masked_mse_loss__matches_textbook():
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(3, 5, 4, generator=g), torch.randn(3, 5, 4, generator=g)
    mask = (torch.rand(3, 5, generator=g) < 0.6).float()
    mask[0, 0] = 1
    expected = _textbook_masked_mse(pred, target, mask)
    assert abs(masked_mse_loss(pred, target, mask).item() - expected) < 1e-5


def test_masked_mse_loss__ignores_visible_patches():
    pred, target = torch.zeros(2, 4, 3), torch.zeros(2, 4, 3)
    mask = torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]])
    target[0, 1] = 100.0  # visible: must not count
    assert masked_mse_loss(pred, target, mask).item() == 0.0


def test_normalize_patches__zero_mean_unit_variance():
    out = normalize_patches(torch.randn(2, 3, 50) * 7 + 3)
    torch.testing.assert_close(out.mean(-1), torch.zeros(2, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var(-1), torch.ones(2, 3), atol=1e-3, rtol=0)


def test_patchify__textbook_layout():
    X = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)
    patches = patchify(X, 4)  # trailing 2 samples dropped
    assert patches.shape == (2, 2, 12)
    for b in range(2):
        for n in range(2):
            expected = torch.cat([X[b, c, n * 4 : (n + 1) * 4] for c in range(3)])
            torch.testing.assert_close(patches[b, n], expected)


def test_random_masking__ids_restore_undoes_shuffle():
    g = torch.Generator().manual_seed(1)
    tokens = torch.randn(4, 10, 3)
    visible, mask, ids_restore = random_masking(tokens, 0.7, g)
    assert visible.shape == (4, 3, 3)
    assert (mask.sum(1) == 7).all()
    for b in range(4):  # each visible token is an unmasked original token, in no fixed order
        kept = tokens[b][mask[b] == 0]
        assert sorted(map(tuple, kept.tolist())) == sorted(map(tuple, visible[b].tolist()))
    # putting the masked tokens back and un-shuffling restores the original order
    ids_shuffle = torch.argsort(ids_restore, dim=1)
    shuffled = torch.gather(tokens, 1, ids_shuffle[..., None].expand(-1, -1, 3))
    torch.testing.assert_close(
        torch.gather(shuffled, 1, ids_restore[..., None].expand(-1, -1, 3)), tokens
    )
    torch.testing.assert_close(shuffled[:, :3], visible)


def test_random_masking__per_sample_masks_differ():
    _, mask, _ = random_masking(torch.randn(8, 20, 2), 0.5, torch.Generator().manual_seed(0))
    assert len({tuple(m.tolist()) for m in mask}) > 1


def test_mae_decoder__mask_tokens_fill_masked_positions():
    decoder = MAEDecoder(n_patches=6, input_dim=4, output_dim=5, decoder_dim=8, n_heads=2)
    tokens = torch.randn(2, 6, 4)
    visible, mask, ids_restore = random_masking(tokens, 0.5, torch.Generator().manual_seed(0))
    assert decoder(visible, ids_restore).shape == (2, 6, 5)
