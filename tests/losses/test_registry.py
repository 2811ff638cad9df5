"""Registry-style conventions of eeg_ssl/losses/: one file per loss, each with a module.

Every ``*_loss.py`` file must define an ``nn.Module`` loss, exported from
``eeg_ssl.losses``, and cite its paper; every module must give exactly what its
functional form gives.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import torch
from torch import nn

import eeg_ssl.losses as losses
from eeg_ssl.losses import autoencoder_loss, mae_loss, mixup_loss

LOSS_DIR = Path(losses.__file__).parent
LOSS_FILES = sorted(p.stem for p in LOSS_DIR.glob("*_loss.py"))


def _modules_of(stem):
    module = importlib.import_module(f"eeg_ssl.losses.{stem}")
    return module, [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, nn.Module) and cls.__module__ == module.__name__
    ]


def test_registry__every_file_is_a_loss_file():
    # helper modules are private (_checks.py); every public file is <name>_loss.py
    public = sorted(p.stem for p in LOSS_DIR.glob("*.py") if not p.stem.startswith("_"))
    assert public == LOSS_FILES and len(LOSS_FILES) >= 13, public


@pytest.mark.parametrize("stem", LOSS_FILES)
def test_loss_file__exports_a_module_and_cites_its_paper(stem):
    module, classes = _modules_of(stem)
    assert classes, f"eeg_ssl/losses/{stem}.py defines no nn.Module loss."
    for cls in classes:
        assert getattr(losses, cls.__name__, None) is cls, f"{cls.__name__} not exported"
        assert cls.__name__ in losses.__all__
    # a citation: authors and a year, e.g. "Chen T., ... (2020)." or "Wei et al. 2022"
    assert re.search(r"\b(19|20)\d\d\b", module.__doc__), f"{stem} cites no paper"


def _g():
    return torch.Generator().manual_seed(0)


def _z(batch=6, dim=5):
    g = _g()
    return torch.randn(batch, dim, generator=g), torch.randn(batch, dim, generator=g)


def _mixup_inputs():
    g = _g()
    lam = torch.rand(6, generator=g)
    partner = torch.randperm(6, generator=g)
    z_a, z_b = _z()
    return (z_a, z_b, mixup_loss.mixing_targets(lam, partner))


def _mae_inputs():
    g = _g()
    mask = (torch.rand(3, 5, generator=g) < 0.5).float()
    return torch.randn(3, 5, 4, generator=g), torch.randn(3, 5, 4, generator=g), mask


def _cpc_inputs():
    g = _g()
    latents = torch.randn(3, 6, 4, generator=g)
    return latents, [torch.randn(3, 6, 4, generator=g) for _ in range(2)]


def _swav_inputs():
    z_a, z_b = _z(8, 4)
    return ([z_a, z_b],)


def _moco_inputs():
    g = _g()
    z_a, z_b = _z()
    queue = torch.nn.functional.normalize(torch.randn(10, 5, generator=g), dim=1)
    return z_a, z_b, queue


def _byol_inputs():
    z_a, z_b = _z()
    g = _g()
    return z_a, z_b, torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)


def _windows():
    g = _g()
    return torch.randn(2, 3, 16, generator=g), torch.randn(2, 3, 16, generator=g)


def _classes():
    g = _g()
    return torch.randn(6, 3, generator=g), torch.randint(0, 3, (6,), generator=g)


def _binary():
    g = _g()
    return torch.randn(6, 1, generator=g), torch.randint(0, 2, (6,), generator=g)


def _autoencoder_standardized(reconstruction, target):
    return losses.reconstruction_loss(reconstruction, autoencoder_loss.standardize_windows(target))


def _mae_normalized(prediction, target, mask):
    return losses.masked_mse_loss(prediction, mae_loss.normalize_patches(target), mask)


#: (module, function, inputs): the module must equal the function on these inputs.
CASES = {
    "ReconstructionLoss": (losses.ReconstructionLoss(), losses.reconstruction_loss, _windows),
    "ReconstructionLoss-standardized": (
        losses.ReconstructionLoss(standardize_targets=True),
        _autoencoder_standardized,
        _windows,
    ),
    "BarlowTwinsLoss": (
        losses.BarlowTwinsLoss(lambda_param=0.1),
        lambda a, b: losses.barlow_twins_loss(a, b, lambda_param=0.1),
        _z,
    ),
    "BYOLLoss": (losses.BYOLLoss(), losses.byol_loss, _byol_inputs),
    "CPCLoss": (losses.CPCLoss(), losses.cpc_loss, _cpc_inputs),
    "MaskedMSELoss": (
        losses.MaskedMSELoss(normalize_targets=False),
        losses.masked_mse_loss,
        _mae_inputs,
    ),  # fmt: skip
    "MaskedMSELoss-normalized": (losses.MaskedMSELoss(), _mae_normalized, _mae_inputs),
    "MixupContrastiveLoss": (
        losses.MixupContrastiveLoss(temperature=0.3),
        lambda a, b, t: losses.mixup_contrastive_loss(a, b, t, temperature=0.3),
        _mixup_inputs,
    ),
    "MoCoLoss": (
        losses.MoCoLoss(temperature=0.3),
        lambda q, k, queue: losses.moco_loss(q, k, queue, temperature=0.3),
        _moco_inputs,
    ),
    "NTXentLoss": (
        losses.NTXentLoss(temperature=0.3),
        lambda a, b: losses.nt_xent_loss(a, b, temperature=0.3),
        _z,
    ),
    "PretextLoss": (losses.PretextLoss(), losses.pretext_loss, _binary),
    "SpectralPredictionLoss": (
        losses.SpectralPredictionLoss(eps=1e-3),
        lambda p, t: losses.spectral_prediction_loss(p, t, eps=1e-3),
        _z,
    ),
    "SwAVLoss": (
        losses.SwAVLoss(temperature=0.2, n_iterations=4),
        lambda s: losses.swav_loss(s, temperature=0.2, n_iterations=4),
        _swav_inputs,
    ),
    "TransformationPredictionLoss": (
        losses.TransformationPredictionLoss(),
        losses.transformation_prediction_loss,
        _classes,
    ),
    "VICRegLoss": (
        losses.VICRegLoss(invariance_weight=2.0, covariance_weight=3.0),
        lambda a, b: losses.vicreg_loss(a, b, invariance_weight=2.0, covariance_weight=3.0),
        _z,
    ),
}


def test_registry__every_loss_module_has_a_case():
    exported = {name for name in losses.__all__ if isinstance(getattr(losses, name), type)}
    assert exported <= {name.split("-")[0] for name in CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_module__equals_functional_form(name):
    module, function, inputs = CASES[name]
    args = inputs()
    expected = function(*args)
    got = module(*args)
    assert got.ndim == 0 and torch.isfinite(got)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (losses.MixupContrastiveLoss, dict(temperature=0.0), "temperature"),
        (losses.SpectralPredictionLoss, dict(eps=-1.0), "eps"),
    ],
)
def test_loss_module__refuses_bad_parameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)
