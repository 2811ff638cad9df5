"""Patch Transformer and braindecode adapter: shapes, config round trip, errors."""

import warnings

import pytest
import torch

from eeg_ssl.models import ENCODERS, BraindecodeAdapter, PatchTransformer, build_encoder
from eeg_ssl.training.checkpoint import encoder_from_checkpoint
from eeg_ssl.utils import seeded

BRAINDECODE_MODELS = ["ShallowFBCSPNet", "EEGNet", "Deep4Net", "EEGConformer"]


def _round_trip(name, encoder):
    payload = {"encoder": {"name": name, "config": encoder.get_config()},
               "encoder_state": encoder.state_dict()}  # fmt: skip
    return encoder_from_checkpoint(payload).eval()


@pytest.mark.parametrize("model", BRAINDECODE_MODELS)
def test_braindecode_adapter__embeds_and_round_trips(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with seeded(0):
            enc = build_encoder("braindecode", n_chans=8, n_times=256, n_outputs=12,
                                sfreq=128.0, model=model).eval()  # fmt: skip
        x = torch.randn(3, 8, 256)
        out = enc(x)
        assert out.shape == (3, 12) and torch.isfinite(out).all()
        assert isinstance(enc.backbone.final_layer, torch.nn.Identity)
        config = enc.get_config()
        assert config["model"] == model
        torch.testing.assert_close(_round_trip("braindecode", enc)(x), out)


def test_braindecode_adapter__model_kwargs_round_trip():
    enc = BraindecodeAdapter(n_chans=4, n_outputs=8, n_times=128, sfreq=64.0,
                             model="ShallowFBCSPNet",
                             model_kwargs={"n_filters_time": 6, "n_filters_spat": 5})  # fmt: skip
    rebuilt = _round_trip("braindecode", enc)
    assert rebuilt.backbone.conv_time_spat.conv_time.out_channels == 6
    assert rebuilt.model_kwargs == {"n_filters_time": 6, "n_filters_spat": 5}


def test_braindecode_adapter__clear_errors():
    with pytest.raises(ValueError, match="Did you mean 'EEGNet'"):
        BraindecodeAdapter(n_chans=4, n_outputs=8, n_times=128, model="EEGNte")
    with pytest.raises(ValueError, match="JSON"):
        BraindecodeAdapter(n_chans=4, n_outputs=8, n_times=128,
                           model_kwargs={"conv_nonlin": torch.nn.ReLU})  # fmt: skip
    with pytest.raises(ValueError, match="signal parameters"):
        BraindecodeAdapter(n_chans=4, n_outputs=8, n_times=128, model_kwargs={"n_times": 5})
    enc = BraindecodeAdapter(n_chans=4, n_outputs=8, n_times=128)
    with pytest.raises(ValueError, match="n_times=128"):
        enc(torch.randn(2, 4, 100))


def test_patch_transformer__shapes_tokens_and_round_trip():
    with seeded(0):
        enc = PatchTransformer(n_chans=4, n_outputs=8, n_times=100, patch_size=16,
                               embed_dim=16, depth=1, n_heads=2).eval()  # fmt: skip
    assert enc.n_patches == 6  # trailing 4 samples ignored
    x = torch.randn(2, 4, 100)
    assert enc.tokens(x).shape == (2, 6, 16)
    assert enc(x).shape == (2, 8) and enc(x[..., :40]).shape == (2, 8)  # crops accepted
    torch.testing.assert_close(_round_trip("patch_transformer", enc)(x), enc(x))
    with pytest.raises(ValueError, match="n_heads"):
        PatchTransformer(n_chans=4, n_outputs=8, n_times=100, embed_dim=10, n_heads=4)
    with pytest.raises(ValueError, match="patch_size"):
        PatchTransformer(n_chans=4, n_outputs=8, n_times=8, patch_size=16)


def test_encoders__registered():
    assert ENCODERS["patch_transformer"] is PatchTransformer
    assert ENCODERS["braindecode"] is BraindecodeAdapter
