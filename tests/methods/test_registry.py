"""Registry-driven conventions: every method in METHODS x every encoder kind it accepts.

Each (method, encoder) pair must give a finite scalar loss whose gradients reach the
encoder's input layer, round-trip its checkpoint (same loss and embeddings), and
leave a frozen encoder usable in ``EmbeddingTransformer``. Methods that need a
particular encoder declare it in ``compatible_encoders``; the other kinds must be
refused with a clear error (never skipped silently).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from eeg_ssl import EmbeddingTransformer
from eeg_ssl.data.samplers import RecordingWindows
from eeg_ssl.methods import METHODS, build_method
from eeg_ssl.models import ENCODERS, build_encoder
from eeg_ssl.simulation import simulate_windows
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded

DOCS = Path(__file__).resolve().parents[2] / "docs" / "methods"
N_CHANS, N_TIMES, SFREQ, N_OUTPUTS = 4, 128, 64.0, 16

#: Tiny encoders of every kind, registry name -> (registry key, kwargs).
ENCODER_KINDS = {
    "conv": ("conv", dict(n_filters=8, n_blocks=3)),
    "patch_transformer": (
        "patch_transformer",
        dict(patch_size=16, embed_dim=16, depth=1, n_heads=2),
    ),
    "braindecode-ShallowFBCSPNet": (
        "braindecode",
        dict(model="ShallowFBCSPNet", model_kwargs=dict(n_filters_time=8, n_filters_spat=8)),
    ),
    "covariance": ("covariance", dict(f_mean=(8.0,), bandwidth=(6.0,))),
    "tokens": ("tokens", dict(patch_size=16, embed_dim=16, depth=1, n_heads=2)),
}
#: Settings that fit the tiny test data (2 recordings of 12 one-second windows).
METHOD_KWARGS = {
    "relative_positioning": dict(tau_pos=2.0, tau_neg=5.0),
    "temporal_shuffling": dict(tau_pos=3.0, tau_neg=4.0),
}


def _accepts(method_cls, kind):
    allowed = getattr(method_cls, "compatible_encoders", None)
    return allowed is None or ENCODER_KINDS[kind][0] in allowed


CASES = [(m, k) for m in METHODS for k in ENCODER_KINDS if _accepts(METHODS[m], k)]
REFUSED = [(m, k) for m in METHODS for k in ENCODER_KINDS if not _accepts(METHODS[m], k)]


def _encoder(kind, seed=0):
    key, kwargs = ENCODER_KINDS[kind]
    with seeded(seed):
        return build_encoder(key, n_chans=N_CHANS, n_times=N_TIMES, n_outputs=N_OUTPUTS,
                             sfreq=SFREQ, **kwargs)  # fmt: skip


def _method(name, kind, seed=0):
    kwargs = dict(METHOD_KWARGS.get(name, {}), random_state=seed)
    encoder = _encoder(kind, seed)
    with seeded(seed):
        return build_method(name, encoder, **kwargs)


@pytest.fixture(scope="module")
def windows():
    X, y, groups = simulate_windows(
        24, N_CHANS, N_TIMES, sfreq=SFREQ, n_subjects=2, random_state=0
    )
    starts = np.concatenate([np.arange((groups == g).sum()) for g in np.unique(groups)]) * 1.0
    return RecordingWindows(X, groups, starts, y)


def _batch(method, dataset, batch_size=8):
    """The first batch ``forward`` sees, built the way the trainer builds it."""
    loader = DataLoader(method.wrap_dataset(dataset), batch_size=batch_size, shuffle=False)
    batch = next(iter(loader))
    return batch[0] if isinstance(batch, (list, tuple)) else batch


def test_registry__cases_cover_every_method():
    assert {m for m, _ in CASES} == set(METHODS)
    for name, cls in METHODS.items():
        allowed = getattr(cls, "compatible_encoders", None)
        assert allowed is None or set(allowed) <= set(ENCODERS), name
        # SSLPretrainer, the CLI and torchrun all pass the run's seed as random_state
        assert "random_state" in inspect.signature(cls).parameters, name


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_method__finite_loss_and_gradients_reach_encoder(name, kind, windows):
    method = _method(name, kind).train()
    loss = method(_batch(method, windows))
    assert loss.ndim == 0 and torch.isfinite(loss), f"{name}/{kind}: loss {loss}"
    loss.backward()
    params = [p for p in method.encoder.parameters() if p.requires_grad]
    first = params[0]  # the input layer: gradients must flow through the whole encoder
    assert first.grad is not None and first.grad.abs().sum() > 0, f"{name}/{kind}"
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in params)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_method__checkpoint_round_trip(name, kind, windows, tmp_path):
    method = _method(name, kind)
    # one training step so the saved weights differ from any fresh initialisation
    opt = torch.optim.SGD(method.parameters(), lr=1e-2)
    method.train()
    method(_batch(method, windows)).backward()
    opt.step()
    method.on_train_step_end(0, 1)
    method.eval()
    path = save_checkpoint(tmp_path / f"{name}.pt", method)
    restored = method_from_checkpoint(path).eval()
    assert type(restored) is type(method) and restored.hparams == method.hparams
    X = torch.as_tensor(windows.X[:8])
    torch.testing.assert_close(restored.embed(X), method.embed(X))
    batch = _batch(method, windows)
    restored.set_rng_state(method.rng_state())
    with torch.no_grad():
        torch.testing.assert_close(restored(batch), method(batch))


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_method__frozen_encoder_in_embedding_transformer(name, kind, windows):
    method = _method(name, kind)
    method.train()
    method(_batch(method, windows)).backward()
    before = [p.detach().clone() for p in method.encoder.parameters()]
    X = windows.X.numpy()
    features = EmbeddingTransformer(method.encoder, batch_size=5).fit_transform(X)
    assert features.shape == (len(X), N_OUTPUTS) and np.isfinite(features).all()
    for old, new in zip(before, method.encoder.parameters()):
        assert torch.equal(old, new.detach())  # the method's encoder is not modified


@pytest.mark.parametrize(("name", "kind"), REFUSED)
def test_method__refuses_incompatible_encoder(name, kind):
    with pytest.raises(ValueError, match=name):
        _method(name, kind)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method__has_docs_page(name):
    page = DOCS / f"{name}.md"
    assert page.exists(), f"Method {name!r} has no docs page {page}."
    text = page.read_text()
    assert "```python" in text and name in text
