"""save_pretrained / from_pretrained: safetensors + config.json with the recording facts."""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from eeg_ssl.evaluation import EmbeddingTransformer
from eeg_ssl.models import (
    BraindecodeAdapter,
    ConvEncoder,
    PatchTransformer,
    build_encoder,
    load_pretrained,
)
from eeg_ssl.training.checkpoint import make_facts
from eeg_ssl.utils import seeded

SMALL = {
    "conv": {"n_filters": 4, "n_blocks": 2},
    "patch_transformer": {"patch_size": 32, "embed_dim": 16, "depth": 1, "n_heads": 2},
    "braindecode": {"model": "ShallowFBCSPNet", "model_kwargs": {"n_filters_time": 6}},
    "covariance": {},
    "tokens": {
        "ch_names": ["Fz", "Cz", "Pz", "Oz"],
        "patch_size": 32,
        "embed_dim": 16,
        "depth": 1,
        "n_heads": 2,
    },
}
FACTS = make_facts(ch_names=["Fz", "Cz", "Pz", "Oz"], ch_types=["eeg"] * 4, sfreq=128.0,
                   units="uV", n_times=256, recipe_hash="0123abcd", median_abs=10.0)  # fmt: skip


def _encoder(name):
    with warnings.catch_warnings(), seeded(0):
        warnings.simplefilter("ignore", UserWarning)
        return build_encoder(name, n_chans=4, n_times=256, n_outputs=8, sfreq=128.0,
                             **SMALL[name]).eval()  # fmt: skip


@pytest.mark.parametrize("name", sorted(SMALL))
def test_save_pretrained__every_encoder_round_trips(name, tmp_path):
    encoder = _encoder(name)
    folder = encoder.save_pretrained(tmp_path / name, recording=FACTS)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    assert config["encoder"] == name and config["recording"] == FACTS
    assert config["encoder_kwargs"]["n_chans"] == 4 and config["embedding_size"] == 8
    assert {"eeg_ssl", "torch", "braindecode", "mne"} <= set(config["versions"])
    loaded = type(encoder).from_pretrained(folder).eval()
    assert loaded.recording_facts == FACTS
    for key, value in encoder.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    x = torch.randn(2, 4, 256)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), encoder(x))


def test_from_pretrained__wrong_class_and_random_weights(tmp_path):
    folder = _encoder("conv").save_pretrained(tmp_path / "conv")
    with pytest.raises(TypeError, match="holds a ConvEncoder, not a PatchTransformer"):
        PatchTransformer.from_pretrained(folder)
    fresh = load_pretrained(folder, weights=False)
    assert isinstance(fresh, ConvEncoder) and fresh.recording_facts is None


def test_save_pretrained__accepts_hub_mixin_arguments(tmp_path):
    # PyTorchModelHubMixin.push_to_hub calls save_pretrained(path, config=..., model_card_kwargs=...)
    encoder = _encoder("braindecode")
    assert isinstance(encoder, BraindecodeAdapter)
    folder = encoder.save_pretrained(tmp_path / "bd", config={"ignored": 1}, model_card_kwargs={})
    assert BraindecodeAdapter.from_pretrained(folder).model == "ShallowFBCSPNet"


def test_embedding_transformer__save_and_load_pretrained(tmp_path, sim_windows):
    X, _, _ = sim_windows
    X = X[:, :4]
    est = EmbeddingTransformer(_encoder("conv"), batch_size=7).fit(X)
    folder = est.save_pretrained(tmp_path / "emb")
    loaded = EmbeddingTransformer.from_pretrained(folder)
    assert loaded.batch_size == 7 and loaded.encoder == str(folder)
    np.testing.assert_allclose(loaded.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)
    assert loaded.recording_facts_["median_abs"] == est.recording_facts_["median_abs"]
    by_path = EmbeddingTransformer(str(folder)).fit(X)  # a folder is an encoder too
    np.testing.assert_allclose(by_path.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clone(loaded).fit(X).transform(X), est.transform(X), rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    with pytest.warns(UserWarning, match="A factor of 1e-06 is a typical unit mistake"):
        loaded.transform(X * 1e-6)  # the facts came along (fitted on arrays: units unknown)


def test_from_pretrained__repo_id_goes_through_snapshot_download(tmp_path, monkeypatch):
    import huggingface_hub

    folder = _encoder("conv").save_pretrained(tmp_path / "snap", recording=FACTS)
    calls = []

    def fake_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    encoder = ConvEncoder.from_pretrained("someone/eeg-encoder", revision="v1")
    assert calls[0][0] == "someone/eeg-encoder" and calls[0][1]["revision"] == "v1"
    assert encoder.recording_facts == FACTS
    est = EmbeddingTransformer.from_pretrained("someone/eeg-encoder")
    assert est.n_chans_ == 4 and est.n_times_ == 256


def test_from_pretrained__offline_repo_id_is_a_clear_error(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no cached copy
    with pytest.raises(OSError, match=r"Could not download 'nobody/no-such-encoder'.*"
                       r"HF_HUB_OFFLINE is set"):  # fmt: skip
        load_pretrained("nobody/no-such-encoder", cache_dir=tmp_path / "cache")
    with pytest.raises(OSError, match="Could not download 'nobody/no-such-encoder'"):
        EmbeddingTransformer("nobody/no-such-encoder").fit(np.zeros((2, 4, 256), np.float32))


def test_from_pretrained__no_network_is_a_clear_error(monkeypatch):
    import huggingface_hub

    def no_network(repo_id, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", no_network)
    with pytest.raises(OSError, match="no network, or no such repo.*ConnectionError"):
        load_pretrained("nobody/no-such-encoder")


def test_from_pretrained__bad_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No folder .*missing.*repo id"):
        load_pretrained(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No config.json"):
        load_pretrained(tmp_path / "empty")
    file = tmp_path / "weights.pt"
    file.write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_pretrained(file)
    foreign = tmp_path / "braindecode_format"
    foreign.mkdir()
    (foreign / "config.json").write_text(json.dumps({"n_chans": 4}))
    with pytest.raises(ValueError, match="not an eeg-ssl encoder config"):
        load_pretrained(foreign)


def test_save_pretrained__missing_extra_gives_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(ImportError, match=r"pip install 'eeg-ssl\[hub\]'"):
        _encoder("conv").save_pretrained(tmp_path / "x")


def test_cli_export__checkpoint_to_folder(tmp_path):
    from eeg_ssl.cli import main
    from eeg_ssl.methods import SimCLR
    from eeg_ssl.training import save_checkpoint

    encoder = _encoder("conv")
    path = save_checkpoint(tmp_path / "c.pt", SimCLR(encoder, random_state=0), recording=FACTS)
    assert main(["export", str(path), "--out", str(tmp_path / "model")]) == 0
    loaded = ConvEncoder.from_pretrained(tmp_path / "model")
    assert loaded.recording_facts == FACTS
    for key, value in encoder.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    assert main(["export", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "m2")]) == 2


def test_cli_export__refuses_a_saved_model_without_overwrite(tmp_path, capsys):
    from eeg_ssl.cli import main
    from eeg_ssl.methods import SimCLR
    from eeg_ssl.training import save_checkpoint

    path = save_checkpoint(tmp_path / "c.pt", SimCLR(_encoder("conv"), random_state=0),
                           recording=FACTS)  # fmt: skip
    out = tmp_path / "model"
    assert main(["--quiet", "export", str(path), "--out", str(out)]) == 0
    before = (out / "model.safetensors").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["--quiet", "export", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'--out'" in err and "--overwrite" in err and "config.json" in err
    assert (out / "model.safetensors").stat().st_mtime_ns == before
    assert main(["--quiet", "export", str(path), "--out", str(out), "--overwrite"]) == 0
