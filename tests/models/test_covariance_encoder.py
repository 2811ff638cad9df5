"""CovarianceEncoder and its matrix logarithm: values, gradients, shapes, round trip, errors."""

import numpy as np
import pytest
import scipy.linalg
import torch

from eeg_ssl.models import ENCODERS, CovarianceEncoder, build_encoder
from eeg_ssl.models.covariance_encoder import spd_log, upper_triangle
from eeg_ssl.training.checkpoint import encoder_from_checkpoint
from eeg_ssl.utils import seeded


def _spd(n_mats, n, rng, n_samples=50):
    a = rng.standard_normal((n_mats, n, n_samples))
    return torch.tensor(a @ a.transpose(0, 2, 1) / n_samples)


def test_spd_log__matches_scipy_logm_and_gradcheck():
    cov = _spd(3, 5, np.random.default_rng(0))
    out = spd_log(cov)
    for c, o in zip(cov.numpy(), out.numpy()):
        np.testing.assert_allclose(o, scipy.linalg.logm(c).real, atol=1e-10)
    cov.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda c: spd_log((c + c.transpose(-1, -2)) / 2), (cov,))


def test_spd_log__finite_gradient_at_repeated_eigenvalues():
    # eigenvalues 1, 1, 4: autograd through eigh divides by their gap of zero
    cov = torch.diag(torch.tensor([1.0, 1.0, 4.0], dtype=torch.float64))[None]
    naive = cov.clone().requires_grad_(True)
    vals, vecs = torch.linalg.eigh(naive)
    ((vecs * vals.log().unsqueeze(-2)) @ vecs.transpose(-1, -2)).sum().backward()
    assert not torch.isfinite(naive.grad).all()  # what this function exists to avoid
    ours = cov.clone().requires_grad_(True)
    spd_log(ours).sum().backward()
    # Daleckii-Krein: d/dX sum(logm X) at diag(l) is [(log l_i - log l_j) / (l_i - l_j)],
    # 1 / l_i where l_i = l_j
    d = np.log(4.0) / 3.0
    expected = torch.tensor([[1.0, 1.0, d], [1.0, 1.0, d], [d, d, 0.25]], dtype=torch.float64)
    torch.testing.assert_close(ours.grad[0], expected)
    assert torch.autograd.gradcheck(lambda c: spd_log((c + c.transpose(-1, -2)) / 2),
                                    (cov.clone().requires_grad_(True),))  # fmt: skip


def test_upper_triangle__preserves_frobenius_norm():
    mat = spd_log(_spd(2, 4, np.random.default_rng(2)))
    vec = upper_triangle(mat)
    assert vec.shape == (2, 10)
    torch.testing.assert_close(vec.norm(dim=-1), torch.linalg.matrix_norm(mat))


def test_covariance_encoder__broadband_band_is_the_shrunk_covariance():
    enc = CovarianceEncoder(n_chans=4, n_outputs=8, n_times=128, sfreq=64.0, shrinkage=0.2)
    x = torch.randn(3, 4, 128, dtype=torch.float64)
    cov = enc.double().covariances(x)
    assert cov.shape == (3, 4, 4, 4)  # theta, alpha, beta, broadband
    for i in range(3):
        ref = np.cov(x[i].numpy(), bias=True)
        ref = 0.8 * ref + 0.2 * np.trace(ref) / 4 * np.eye(4)
        np.testing.assert_allclose(cov[i, -1].detach().numpy(), ref, rtol=1e-10)


def test_covariance_encoder__oas_matches_scikit_learn():
    from sklearn.covariance import oas

    enc = CovarianceEncoder(n_chans=5, n_outputs=8, n_times=64, sfreq=64.0).double()
    assert enc.shrinkage == "oas"  # the Riemannian baseline's estimator, by default
    rng = np.random.default_rng(3)
    mixing = rng.standard_normal((5, 5))
    x = torch.tensor(mixing @ rng.standard_normal((4, 5, 64)))
    cov = enc.covariances(x)[:, -1]  # broadband
    for i in range(4):
        ref, _ = oas(x[i].numpy().T)
        np.testing.assert_allclose(cov[i].detach().numpy(), ref, rtol=1e-9)


def test_covariance_encoder__filter_bank_passes_its_band():
    sfreq, n_times = 128.0, 256
    t = np.arange(n_times) / sfreq
    alpha = np.sin(2 * np.pi * 10.0 * t) * np.ones((2, 1))  # 10 Hz on both channels
    enc = CovarianceEncoder(n_chans=2, n_outputs=4, n_times=n_times, sfreq=sfreq,
                            broadband=False)  # fmt: skip
    power = enc.bands(torch.tensor(alpha[None], dtype=torch.float32)).pow(2).mean(dim=(0, 2, 3))
    theta, alpha_band, beta = power.tolist()
    assert alpha_band > 10 * max(theta, beta)


def test_covariance_encoder__shapes_gradients_and_round_trip():
    with seeded(0):
        enc = build_encoder("covariance", n_chans=6, n_times=128, n_outputs=16, sfreq=64.0,
                            n_spatial=4)  # fmt: skip
    assert enc.n_features == 4 * 4 * 5 // 2
    x = torch.randn(5, 6, 128)
    x[:, :2] = 0.0  # two flat channels: repeated (floored) eigenvalues
    enc.train()
    enc(x).pow(2).mean().backward()
    grads = [p.grad for p in enc.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert enc.filter.f_mean.grad.abs().sum() > 0 and enc.spatial.grad.abs().sum() > 0
    enc.eval()
    payload = {"encoder": {"name": "covariance", "config": enc.get_config()},
               "encoder_state": enc.state_dict()}  # fmt: skip
    rebuilt = encoder_from_checkpoint(payload).eval()
    assert rebuilt.n_spatial == 4
    torch.testing.assert_close(rebuilt(x), enc(x))
    assert ENCODERS["covariance"] is CovarianceEncoder


def test_covariance_encoder__clear_errors():
    kw = {"n_chans": 4, "n_outputs": 8, "n_times": 128}
    with pytest.raises(ValueError, match="sfreq"):
        CovarianceEncoder(**kw)
    with pytest.raises(ValueError, match="same length"):
        CovarianceEncoder(**kw, sfreq=64.0, f_mean=(6.0, 10.0), bandwidth=(4.0,))
    with pytest.raises(ValueError, match="Nyquist"):
        CovarianceEncoder(**kw, sfreq=64.0, f_mean=(40.0,), bandwidth=(4.0,))
    with pytest.raises(ValueError, match="shrinkage"):
        CovarianceEncoder(**kw, sfreq=64.0, shrinkage=1.0)
    with pytest.raises(ValueError, match="'oas' or a number"):
        CovarianceEncoder(**kw, sfreq=64.0, shrinkage="ledoit")
    with pytest.raises(ValueError, match="n_spatial"):
        CovarianceEncoder(**kw, sfreq=64.0, n_spatial=5)
    with pytest.raises(ValueError, match="at least one band"):
        CovarianceEncoder(**kw, sfreq=64.0, f_mean=(), bandwidth=(), broadband=False)
    enc = CovarianceEncoder(**kw, sfreq=64.0)
    with pytest.raises(ValueError, match="n_times=128"):
        enc(torch.randn(2, 4, 100))
