"""ChannelTokenEncoder: the channel mask is honoured, any montage runs, positions, round trip."""

import mne
import numpy as np
import pytest
import torch

from eeg_ssl.models import ENCODERS, ChannelTokenEncoder, build_encoder
from eeg_ssl.models.channel_mask import use_channel_mask
from eeg_ssl.models.channel_tokens import electrode_positions
from eeg_ssl.training.checkpoint import encoder_from_checkpoint
from eeg_ssl.utils import seeded

TEN_TWENTY = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7",
              "P3", "Pz", "P4", "P8", "O1", "O2"]  # fmt: skip
MONTAGES = {
    19: TEN_TWENTY,
    8: ["Oz", "O1", "O2", "PO3", "POz", "PO7", "PO8", "PO4"],
    4: ["TP9", "AF7", "AF8", "TP10"],
    1: ["EEG"],
}


def _names(n_chans):
    if n_chans == 64:  # the eegmmidb montage: 64 names of the 10-10 system
        montage = mne.channels.make_standard_montage("standard_1005")
        ten_ten = [c for c in montage.ch_names if not c.endswith("h") and len(c) <= 4]
        return ten_ten[:64]
    return MONTAGES[n_chans]


def _encoder(names, n_times=256, **kw):
    with seeded(0):
        return build_encoder("tokens", n_chans=len(names), n_times=n_times, n_outputs=16,
                             sfreq=128.0, ch_names=names, embed_dim=16, n_heads=2,
                             **kw).eval()  # fmt: skip


def test_channel_tokens__masked_channel_values_do_not_change_the_embedding():
    enc = _encoder(TEN_TWENTY)
    x = torch.randn(3, 19, 256)
    mask = torch.ones(3, 19, dtype=torch.bool)
    mask[:, 4] = False  # Fz masked in every window
    mask[1, 10] = False  # and C4 in the second
    with torch.no_grad():
        ref = enc(x, ch_mask=mask)
        changed = x.clone()
        changed[:, 4] = 1e3 * torch.randn(3, 256)
        changed[1, 10] = -7.0
        torch.testing.assert_close(enc(changed, ch_mask=mask), ref, rtol=0, atol=0)
        # an unmasked channel's values do change it
        moved = x.clone()
        moved[:, 0] += 5 * torch.randn(3, 256)
        assert (enc(moved, ch_mask=mask) - ref).abs().amax(dim=1).min() > 1e-4
        # C4 is masked in window 1 only: changing it moves the other windows
        moved = x.clone()
        moved[:, 10] = 3 * torch.randn(3, 256)
        diff = (enc(moved, ch_mask=mask) - ref).abs().amax(dim=1)
        assert diff[1] == 0 and diff[0] > 1e-4 and diff[2] > 1e-4


def test_channel_tokens__masking_a_channel_equals_leaving_it_out():
    # positions are buffers, not weights: the weights serve an encoder for 18 channels
    full = _encoder(TEN_TWENTY)
    short = full.for_channels(TEN_TWENTY[:7] + TEN_TWENTY[8:])
    assert short.n_chans == 18 and not short.training
    x = torch.randn(2, 19, 256)
    mask = torch.ones(2, 19, dtype=torch.bool)
    mask[:, 7] = False
    with torch.no_grad():
        torch.testing.assert_close(full(x, ch_mask=mask), short(torch.cat([x[:, :7], x[:, 8:]], 1)),
                                   rtol=1e-5, atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("n_chans", [64, 19, 8, 4, 1])
def test_channel_tokens__runs_on_any_montage(n_chans):
    names = _names(n_chans)
    assert len(names) == n_chans
    enc = _encoder(names, n_times=512)
    x = torch.randn(2, n_chans, 512, requires_grad=True)
    out = enc.train()(x)
    assert out.shape == (2, 16) and torch.isfinite(out).all()
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert enc(x[..., :200]).shape == (2, 16)  # crops of a view recipe
    if n_chans > 1:
        assert enc.known.all()  # every name found in the 10-05 template


def test_channel_tokens__published_mask_is_tiled_and_zero_channels_are_inferred():
    enc = _encoder(TEN_TWENTY)
    x = torch.randn(2, 19, 256)
    mask = torch.ones(2, 19, dtype=torch.bool)
    mask[0, :5] = False
    with torch.no_grad():
        ref = enc(x, ch_mask=mask)
        changed = x.clone()
        changed[0, :5] = 9.0
        with use_channel_mask(mask):  # as the trainer does for CorpusItem batches
            torch.testing.assert_close(enc(changed), ref)
            both = enc(torch.cat([changed, changed]))  # two views concatenated: (2B, C, T)
            torch.testing.assert_close(both, torch.cat([ref, ref]))
        # without a mask, zero-filled channels are masked
        zeroed = x.clone()
        zeroed[0, :5] = 0.0
        torch.testing.assert_close(enc(zeroed)[0], ref[0])
        # a window with no channel at all stays finite
        assert torch.isfinite(enc(torch.zeros(1, 19, 256))).all()


def test_channel_tokens__positions_from_names_chs_info_or_unknown():
    positions, known = electrode_positions(["EEG Fp1", "Fc5.", "C12", "Cz"],
                                           [None, None, [0.01, 0.02, 0.03], None])  # fmt: skip
    assert known.tolist() == [True, True, True, True]
    np.testing.assert_allclose(positions[2], [0.01, 0.02, 0.03])
    assert np.linalg.norm(positions[0] - positions[3]) > 0.05
    # ECoG contacts from chs_info (MNE's 'loc'), an unknown name gets the learnt embedding
    chs_info = [{"ch_name": "G1", "loc": [0.03, 0.0, 0.05] + [0.0] * 9},
                {"ch_name": "G2", "loc": [0.0] * 12}, {"ch_name": "Oz", "loc": [np.nan] * 12}]  # fmt: skip
    with seeded(0):
        enc = ChannelTokenEncoder(n_chans=3, n_outputs=8, n_times=128, chs_info=chs_info,
                                  embed_dim=16, n_heads=2)  # fmt: skip
    assert enc.known.tolist() == [True, False, True]
    emb = enc.electrode_embedding()
    torch.testing.assert_close(emb[1], enc.unknown_embed)


def test_channel_tokens__round_trip_and_errors():
    enc = _encoder(TEN_TWENTY[:4])
    payload = {"encoder": {"name": "tokens", "config": enc.get_config()},
               "encoder_state": enc.state_dict()}  # fmt: skip
    rebuilt = encoder_from_checkpoint(payload).eval()
    assert rebuilt.channel_names == TEN_TWENTY[:4]
    x = torch.randn(2, 4, 256)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), enc(x))
    assert ENCODERS["tokens"] is ChannelTokenEncoder
    with pytest.raises(ValueError, match=r"'ch_mask' must have shape"):
        enc(x, ch_mask=torch.ones(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="built for 4 channels"):
        enc(torch.randn(2, 5, 256))
    with pytest.raises(ValueError, match="'ch_names' has 3 entries"):
        ChannelTokenEncoder(n_chans=4, n_outputs=8, n_times=128, ch_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="n_heads"):
        ChannelTokenEncoder(n_chans=4, n_outputs=8, n_times=128, embed_dim=10, n_heads=4)
