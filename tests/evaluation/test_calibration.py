"""Batch-norm statistics of a frozen encoder estimated on windows (evaluation.calibration)."""

import numpy as np
import pytest
import torch

from eeg_ssl.evaluation import calibrate_norm_statistics
from eeg_ssl.evaluation.benchmark import benchmark_split
from eeg_ssl.models import build_encoder
from eeg_ssl.simulation import simulate_windows


def _conv(seed=0):
    torch.manual_seed(seed)
    return build_encoder("conv", n_chans=4, n_times=64, sfreq=64.0, n_outputs=8, n_filters=4,
                         n_blocks=2)  # fmt: skip


def _first_norm_input(encoder, X):
    norm = next(m for m in encoder.modules() if isinstance(m, torch.nn.BatchNorm1d))
    seen = []
    handle = norm.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
    with torch.no_grad():
        encoder.eval()(torch.from_numpy(X))
    handle.remove()
    return norm, seen[0]


def test_calibrate__statistics_of_the_windows_weights_unchanged():
    X = (np.random.default_rng(0).standard_normal((40, 4, 64)) * 30 + 5).astype(np.float32)
    encoder = _conv()
    weights = {k: v.clone() for k, v in encoder.state_dict().items() if "running" not in k
               and "num_batches" not in k}  # fmt: skip
    momenta = [m.momentum for m in encoder.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert calibrate_norm_statistics(encoder, X, batch_size=len(X)) == len(momenta) > 0
    norm, inputs = _first_norm_input(encoder, X)  # its input does not depend on its stats
    torch.testing.assert_close(norm.running_mean, inputs.mean(dim=(0, 2)), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(norm.running_var, inputs.var(dim=(0, 2), unbiased=True),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    assert not encoder.training and not any(m.training for m in encoder.modules())
    assert [
        m.momentum for m in encoder.modules() if isinstance(m, torch.nn.BatchNorm1d)
    ] == momenta
    for key, value in encoder.state_dict().items():
        if key in weights:
            torch.testing.assert_close(value, weights[key], rtol=0, atol=0)
    # batches of equal size: the running mean is the mean over all windows
    again = _conv()
    calibrate_norm_statistics(again, X, batch_size=10)
    torch.testing.assert_close(
        _first_norm_input(again, X)[0].running_mean, norm.running_mean, rtol=1e-4, atol=1e-4
    )


def test_calibrate__changes_what_the_random_encoder_outputs():
    X = (np.random.default_rng(1).standard_normal((32, 4, 64)) * 50).astype(np.float32)
    encoder = _conv()
    with torch.no_grad():
        before = encoder.eval()(torch.from_numpy(X))
        calibrate_norm_statistics(encoder, X)
        after = encoder(torch.from_numpy(X))
    assert not torch.allclose(before, after)


def test_calibrate__encoder_without_batch_norm_is_left_alone():
    encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 2))
    state = {k: v.clone() for k, v in encoder.state_dict().items()}
    assert calibrate_norm_statistics(encoder, np.zeros((3, 2, 4), np.float32)) == 0
    assert all(torch.equal(v, state[k]) for k, v in encoder.state_dict().items())


def test_calibrate__fewer_than_two_windows_are_refused():
    for n in (0, 1):
        with pytest.raises(ValueError, match="at least 2 windows"):
            calibrate_norm_statistics(_conv(), np.zeros((n, 4, 64), np.float32))


def test_calibrate__no_batch_of_one_window_for_a_flat_batch_norm():
    # the covariance encoder ends with a batch norm over its flat features, which cannot
    # take a batch of one window: 9 windows in batches of 4 are read as 4 + 5
    torch.manual_seed(0)
    encoder = build_encoder("covariance", n_chans=4, n_times=128, sfreq=64.0)
    X = np.random.default_rng(0).standard_normal((9, 4, 128)).astype(np.float32)
    assert calibrate_norm_statistics(encoder, X, batch_size=4) >= 1


def test_benchmark_split__random_calibrated_baseline():
    X, y, g = simulate_windows(48, 4, 64, sfreq=64.0, n_subjects=4, effect=2.0, random_state=0)
    tr, te = g < 2, g >= 2
    scores, timings, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={},
        baselines=("random_weights", "random_calibrated"), fractions=(1.0,), seeds=(0,),
        rates=(), encoder_params={"n_outputs": 8, "n_filters": 4, "n_blocks": 2},
        verbose=False,
    )  # fmt: skip
    assert set(scores["model"]) == {"random_weights", "random_calibrated"}
    assert set(scores.loc[scores["model"] == "random_calibrated", "kind"]) == {"baseline"}
    assert "random_calibrated" in set(timings["model"])
