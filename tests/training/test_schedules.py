"""Learning-rate and momentum schedules, and optimiser parameter groups."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from eeg_ssl.models import build_encoder
from eeg_ssl.training import (
    LARS,
    WarmupCosine,
    build_optimizer,
    cosine_momentum,
    param_groups,
    warmup_cosine,
)


def test_warmup_cosine__warmup_then_cosine_to_final():
    total, warm = 100, 10
    values = [warmup_cosine(s, total, warm, final_factor=0.1) for s in range(total + 1)]
    assert values[0] == pytest.approx(1 / 11)
    assert all(a < b for a, b in zip(values[:warm], values[1 : warm + 1]))  # rising
    assert values[warm] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(values[warm:], values[warm + 1 :]))  # decaying
    mid = warm + (total - warm) // 2
    assert values[mid] == pytest.approx(0.1 + 0.9 * 0.5)
    assert values[total] == pytest.approx(0.1)


def test_warmup_cosine__bad_warmup_raises():
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine(0, 10, 20)


def test_warmup_cosine__lambdalr_state_round_trip():
    opt = torch.optim.AdamW([nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, WarmupCosine(20, 5))
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = torch.optim.AdamW([nn.Parameter(torch.zeros(2))], lr=1.0)
    sched2 = torch.optim.lr_scheduler.LambdaLR(opt2, WarmupCosine(20, 5))
    opt2.load_state_dict(opt.state_dict())  # after building the scheduler (it resets lr)
    sched2.load_state_dict(state)
    assert opt2.param_groups[0]["lr"] == pytest.approx(warmup_cosine(7, 20, 5))
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(warmup_cosine(8, 20, 5))


def test_cosine_momentum__rises_from_base_to_final():
    assert cosine_momentum(0, 100, 0.99) == pytest.approx(0.99)
    assert cosine_momentum(50, 100, 0.99) == pytest.approx(0.995)
    assert cosine_momentum(100, 100, 0.99) == pytest.approx(1.0)


def test_param_groups__no_decay_on_norms_and_biases():
    enc = build_encoder("conv", n_chans=4, n_times=64, n_outputs=8, n_filters=4, n_blocks=2)
    model = nn.Sequential(enc, nn.LayerNorm(8), nn.Linear(8, 3))
    groups = param_groups(model, 0.05)
    decay, no_decay = groups
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert all(n.endswith("weight") for n in decay["names"])
    assert all(p.ndim > 1 for p in decay["params"])
    norm_params = {id(p) for m in model.modules()
                   if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)) for p in m.parameters()}  # fmt: skip
    bias_params = {id(p) for n, p in model.named_parameters() if n.endswith("bias")}
    assert norm_params | bias_params == {id(p) for p in no_decay["params"]}
    n_total = sum(1 for _ in model.parameters())
    assert len(decay["params"]) + len(no_decay["params"]) == n_total


@pytest.mark.parametrize("name", ["adamw", "lars"])
def test_build_optimizer__decay_leaves_norms_untouched(name):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    opt = build_optimizer(model, optimizer=name, lr=0.1, weight_decay=0.5)
    norm_weight = model[1].weight.detach().clone()
    opt.step()  # no gradients: only weight decay could move parameters
    assert torch.equal(model[1].weight, norm_weight)
    if name == "lars":
        assert isinstance(opt, LARS)


def test_build_optimizer__bad_name_suggests():
    with pytest.raises(ValueError, match="Did you mean 'adamw'"):
        build_optimizer(nn.Linear(2, 2), optimizer="adamm")


def test_lars__trust_ratio_scales_update():
    p = nn.Parameter(torch.full((4,), 2.0))  # ||w|| = 4
    opt = LARS([{"params": [p], "weight_decay": 0.0}], lr=1.0, momentum=0.0, trust_coefficient=0.1)
    p.grad = torch.full((4,), 10.0)  # ||g|| = 20 -> trust 0.1 * 4 / 20 = 0.02
    opt.step()
    assert torch.allclose(p.detach(), torch.full((4,), 2.0 - 0.2))
    assert math.isclose(float(p.detach()[0]), 1.8, rel_tol=1e-6)
