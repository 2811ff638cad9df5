"""ConvEncoder's optional fixed filter-bank front end: shape, frozen filters, bands, errors."""

from __future__ import annotations

import math

import pytest
import torch

from eeg_ssl.methods import SimCLR
from eeg_ssl.models import ConvEncoder, build_encoder, load_pretrained
from eeg_ssl.training import save_checkpoint
from eeg_ssl.training.checkpoint import encoder_from_checkpoint, make_facts
from eeg_ssl.training.optim import build_optimizer
from eeg_ssl.utils import seeded

SMALL = {"n_filters": 4, "n_blocks": 2}


def _conv(random_state=0, **kwargs):
    with seeded(random_state):
        return build_encoder("conv", n_chans=3, n_times=256, n_outputs=8, sfreq=128.0,
                             **SMALL, **kwargs)  # fmt: skip


def test_conv_encoder__filter_bank_none_is_unchanged():
    plain, explicit = _conv(), _conv(filter_bank=None)
    assert explicit.filter_bank_layer is None and explicit.n_bands == 0
    assert list(explicit.state_dict()) == list(plain.state_dict())
    assert not any(key.startswith("filter_bank") for key in plain.state_dict())
    assert plain.features[0].in_channels == 3
    x = torch.randn(4, 3, 256)
    torch.testing.assert_close(explicit.eval()(x), plain.eval()(x), rtol=0, atol=0)


def test_conv_encoder__filter_bank_shapes_and_band_major_order():
    enc = _conv(filter_bank=9).eval()
    assert enc.n_bands == 9 and enc.band_filters[0] == (4.0, 8.0)
    assert enc.band_filters[-1] == (36.0, 40.0)
    assert enc.features[0].in_channels == 3 * 9
    x = torch.randn(2, 3, 256)
    assert enc(x).shape == (2, 8)
    banked = enc.filter_bank_layer(x)
    assert banked.shape == (2, 9, 3, 256)  # (B, n_bands, C, T): band-major after flatten
    only_second = torch.zeros_like(x)
    only_second[:, 1] = x[:, 1]
    flat = enc.filter_bank_layer(only_second).flatten(1, 2)  # (B, n_bands * C, T)
    energy = flat.pow(2).sum(dim=(0, 2))
    assert torch.nonzero(energy).squeeze(1).tolist() == [b * 3 + 1 for b in range(9)]


def test_conv_encoder__filter_coefficients_not_trained():
    enc = _conv(filter_bank=[(8.0, 12.0), (12.0, 30.0)]).train()
    coefficients = {name: p.detach().clone() for name, p in enc.named_parameters()
                    if name.startswith("filter_bank_layer")}  # fmt: skip
    assert coefficients and all(
        not p.requires_grad for n, p in enc.named_parameters() if n in coefficients
    )
    optimizer = build_optimizer(enc, lr=0.1)
    enc(torch.randn(4, 3, 256)).pow(2).sum().backward()
    optimizer.step()
    params = dict(enc.named_parameters())
    assert all(params[name].grad is None for name in coefficients)
    assert enc.features[0].weight.grad is not None
    for name, before in coefficients.items():
        torch.testing.assert_close(params[name].detach(), before, rtol=0, atol=0)


def test_conv_encoder__filter_bank_puts_10_hz_in_the_8_12_band():
    sfreq, n_times = 128.0, 512
    enc = build_encoder("conv", n_chans=1, n_times=n_times, n_outputs=8, sfreq=sfreq,
                        filter_bank=9, **SMALL)  # fmt: skip
    t = torch.arange(n_times) / sfreq
    x = torch.sin(2 * math.pi * 10.0 * t).reshape(1, 1, n_times)
    with torch.no_grad():
        banked = enc.filter_bank_layer(x)[0, :, 0, 128:-128]  # (n_bands, T) away from edges
    energy = banked.pow(2).sum(-1)
    share = energy / energy.sum()
    assert enc.band_filters[int(share.argmax())] == (8.0, 12.0)
    assert share[1] > 0.8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"filter_bank": 9, "sfreq": None}, "needs the sampling rate.*sfreq=None"),
        ({"filter_bank": [(50.0, 70.0)]}, r"\(50, 70\).*sfreq=128.*Nyquist frequency \(64"),
        ({"filter_bank": [(60.0, 64.0)]}, r"\(60, 64\).*Nyquist"),
        ({"filter_bank": [(12.0, 8.0)]}, r"\(12, 8\).*0 <= low < high"),
        ({"filter_bank": [(8.0,)]}, r"Invalid band \(8.0,\)"),
        ({"filter_bank": True}, "Invalid value for 'filter_bank'.*got True"),
        ({"filter_bank": 0}, "Invalid value for 'filter_bank'.*got 0"),
        ({"filter_bank": "default"}, "9 gives the 4-Hz bands"),
    ],
)
def test_conv_encoder__filter_bank_clear_errors(kwargs, match):
    kwargs = {"sfreq": 128.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        ConvEncoder(n_chans=3, n_outputs=8, n_times=256, **kwargs)


def test_conv_encoder__filter_bank_round_trips_checkpoint_and_folder(tmp_path):
    bands = [(4.0, 8.0), (8.0, 12.0), (12.5, 30.0)]
    enc = _conv(filter_bank=bands)
    x = torch.randn(2, 3, 256)
    facts = make_facts(sfreq=128.0, n_chans=3, n_times=256)
    path = save_checkpoint(tmp_path / "c.pt", SimCLR(enc, random_state=0), recording=facts)
    loaded = encoder_from_checkpoint(path).eval()  # torch.load(weights_only=True)
    assert loaded.band_filters == bands
    torch.testing.assert_close(loaded(x), enc.eval()(x), rtol=0, atol=0)
    folder = enc.save_pretrained(tmp_path / "folder")  # config.json: bands as JSON lists
    from_folder = load_pretrained(folder).eval()
    assert from_folder.band_filters == bands
    torch.testing.assert_close(from_folder(x), enc(x), rtol=0, atol=0)


def test_conv_encoder__filter_bank_folder_keeps_rate_given_as_window_length(tmp_path):
    with seeded(0):
        enc = ConvEncoder(n_chans=3, n_outputs=8, n_times=256, input_window_seconds=2.0,
                          filter_bank=4, **SMALL).eval()  # fmt: skip
    loaded = load_pretrained(enc.save_pretrained(tmp_path / "folder")).eval()
    assert loaded.sfreq == 128.0 and loaded.band_filters == enc.band_filters
    x = torch.randn(2, 3, 256)
    torch.testing.assert_close(loaded(x), enc(x), rtol=0, atol=0)


def test_default_encoder_params__filter_bank_where_the_rate_allows(caplog):
    import logging

    from eeg_ssl.models import DEFAULT_FILTER_BANK, default_encoder_params

    given = {"n_outputs": 16}
    assert default_encoder_params("conv", given, sfreq=128.0) == {
        "n_outputs": 16, "filter_bank": DEFAULT_FILTER_BANK}  # fmt: skip
    assert given == {"n_outputs": 16}  # a new dict
    assert default_encoder_params("conv", {"filter_bank": None}, sfreq=128.0) == {
        "filter_bank": None}  # fmt: skip
    assert default_encoder_params("covariance", None, sfreq=128.0) == {}
    with caplog.at_level(logging.INFO, logger="eeg_ssl"):
        assert default_encoder_params("conv", None, sfreq=80.0) == {}  # 40 Hz = Nyquist
        assert default_encoder_params("conv", None) == {}
    assert "rate is 80 Hz" in caplog.text and "rate is unknown" in caplog.text


def test_estimators__default_conv_encoder_has_the_filter_bank_with_a_rate():
    import mne
    import numpy as np

    from eeg_ssl.evaluation import EmbeddingTransformer

    X = np.random.default_rng(0).standard_normal((6, 4, 256)).astype(np.float32)
    epochs = mne.EpochsArray(X * 1e-6, mne.create_info(4, 128.0, "eeg"), verbose="error")
    tiny = {"n_outputs": 8, "n_filters": 4, "n_blocks": 2}
    on_epochs = EmbeddingTransformer("conv", encoder_params=tiny, random_state=0).fit(epochs)
    assert on_epochs.encoder_.n_bands == 9
    on_arrays = EmbeddingTransformer("conv", encoder_params=tiny, random_state=0).fit(X)
    assert on_arrays.encoder_.filter_bank is None  # no rate: the plain encoder
    given = EmbeddingTransformer("conv", encoder_params=dict(tiny, sfreq=128.0)).fit(X)
    assert given.encoder_.n_bands == 9
