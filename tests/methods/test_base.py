"""The shared steps of the view-based methods (eeg_ssl/methods/base.py)."""

from __future__ import annotations

import pytest
import torch

from eeg_ssl.methods import METHODS, build_method
from eeg_ssl.methods.base import MomentumTwoViewMethod, TwoViewMethod, invariance_recipe
from eeg_ssl.models import build_encoder
from eeg_ssl.utils import seeded

N_CHANS, N_TIMES = 4, 128

#: Top-level state_dict names of each method: checkpoints of earlier versions load only
#: while these stay (a rename needs a migration in eeg_ssl.training.checkpoint).
STATE_PREFIXES = {
    "simclr": {"encoder", "projection_head"},
    "moco": {
        "current_momentum",
        "encoder",
        "projection_head",
        "queue",
        "target_encoder",
        "target_projection_head",
    },  # fmt: skip
    "byol": {
        "current_momentum",
        "encoder",
        "prediction_head",
        "projection_head",
        "target_encoder",
        "target_projection_head",
    },  # fmt: skip
    "swav": {"encoder", "projection_head", "prototypes", "step"},
    "vicreg": {"encoder", "expander"},
    "barlow_twins": {"encoder", "projection_head"},
    "resampling_contrastive": {"encoder", "projection_head"},
    "autoencoder": {"decoder", "encoder"},
    "cpc": {"context", "encoder", "predictors"},
    "relative_positioning": {"encoder", "head"},
    "temporal_shuffling": {"encoder", "head"},
    "transformation_prediction": {"encoder", "head"},
    "spectral_prediction": {"encoder", "head"},
    "mixup": {"encoder", "projection_head"},
}
TWO_VIEW = ("simclr", "barlow_twins", "vicreg", "resampling_contrastive")


def _method(name, **kwargs):
    with seeded(0):
        encoder = build_encoder("conv", n_chans=N_CHANS, n_times=N_TIMES, n_outputs=16,
                                n_filters=8, n_blocks=3, sfreq=64.0)  # fmt: skip
        return build_method(name, encoder, random_state=0, **kwargs)


def _X():
    return torch.randn(8, N_CHANS, N_TIMES, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", sorted(STATE_PREFIXES))
def test_method__state_dict_names_unchanged(name):
    method = _method(name)
    assert {key.split(".")[0] for key in method.state_dict()} == STATE_PREFIXES[name]


def test_state_prefixes__cover_every_method_but_mae():
    # MAE needs the patch Transformer; tests/methods/test_registry.py round-trips it
    assert set(STATE_PREFIXES) == set(METHODS) - {"mae"}


@pytest.mark.parametrize("name", TWO_VIEW)
def test_two_view_method__forward_is_views_project_criterion(name):
    method = _method(name).train()
    assert isinstance(method, TwoViewMethod)
    X = _X()
    state = method.rng_state()
    torch.manual_seed(0)
    loss = method(X)
    method.set_rng_state(state)
    torch.manual_seed(0)
    view_a, view_b = method.views(X)
    expected = method.criterion(method.project(view_a), method.project(view_b))
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["byol", "moco"])
def test_momentum_method__target_follows_online_by_ema(name):
    method = _method(name, momentum=0.5, momentum_schedule="constant").train()
    assert isinstance(method, MomentumTwoViewMethod)
    online = [p.detach().clone() for p in method.projection_head.parameters()]
    target = [p.detach().clone() for p in method.target_projection_head.parameters()]
    with torch.no_grad():
        for p in method.projection_head.parameters():
            p.add_(1.0)
    method.on_train_step_end(0, 10)
    for p_t, t, o in zip(method.target_projection_head.parameters(), target, online):
        torch.testing.assert_close(p_t.detach(), 0.5 * t + 0.5 * (o + 1.0))
    assert float(method.current_momentum) == 0.5
    z = method.target_project(_X())
    assert not z.requires_grad


@pytest.mark.parametrize("name", ["byol", "moco"])
def test_momentum_method__bad_schedule_names_parameter(name):
    with pytest.raises(ValueError, match="momentum_schedule"):
        _method(name, momentum_schedule="linear")


def test_invariance_recipe__hparams_and_views():
    hparams, views = invariance_recipe(N_TIMES, (0.8, 1.25), 0.1, 0.2, 0.1, (0.5, 2.0), 0.5,
                                       random_state=0, n_views=3)  # fmt: skip
    assert hparams == dict(rate_range=[0.8, 1.25], mask_fraction=0.1, channel_drop=0.2,
                           noise_std=0.1, scale_range=[0.5, 2.0], augment_probability=0.5)  # fmt: skip
    out = views(_X())
    assert len(out) == 3 and all(v.shape == (8, N_CHANS, N_TIMES) for v in out)
