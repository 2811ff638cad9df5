"""Exponential moving averages of networks (momentum encoders) and their schedules.

Used by MoCo (He et al. 2020, arXiv:1911.05722) and BYOL (Grill et al. 2020,
arXiv:2006.07733). The target copy is a registered submodule of the method, so its
weights are in ``state_dict`` and a checkpoint resumes it exactly.
"""

from __future__ import annotations

import copy
import math

import torch

from ..utils import check_option

MOMENTUM_SCHEDULES = ("constant", "cosine")


def cosine_momentum(step, total_steps, base=0.99, final=1.0):
    """BYOL's cosine momentum: ``final - (final - base) * (cos(pi * step / total) + 1) / 2``.

    Parameters
    ----------
    step : int
        Optimiser steps done so far (0-based).
    total_steps : int
        Steps of the whole run (> 0).
    base : float
        Momentum at step 0.
    final : float
        Momentum at the last step.

    Returns
    -------
    float
    """
    if total_steps <= 0:
        raise ValueError(f"'total_steps' must be > 0; got {total_steps!r}.")
    progress = min(max(step / total_steps, 0.0), 1.0)
    return final - (final - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


def momentum_at(step, total_steps, base, schedule="cosine", final=1.0):
    """Momentum at ``step``: ``base`` throughout (``"constant"``) or cosine to ``final``."""
    check_option("momentum_schedule", schedule, MOMENTUM_SCHEDULES)
    if schedule == "constant":
        return float(base)
    return cosine_momentum(step, total_steps, base, final)


def check_momentum(momentum, name="momentum"):
    """Raise a clear error unless ``0 <= momentum <= 1``."""
    if not 0.0 <= float(momentum) <= 1.0:
        raise ValueError(f"{name!r} must be in [0, 1]; got {momentum!r}.")
    return float(momentum)


def make_target(module):
    """A frozen deep copy of ``module`` (no gradients) to track it by EMA."""
    target = copy.deepcopy(module)
    for param in target.parameters():
        param.requires_grad_(False)
    return target


@torch.no_grad()
def update_ema(target, online, momentum):
    """``target <- momentum * target + (1 - momentum) * online``, in place.

    Floating-point buffers (BatchNorm running statistics) follow the same average;
    integer buffers (``num_batches_tracked``) are copied.

    Parameters
    ----------
    target, online : nn.Module
        Modules of identical structure.
    momentum : float
        In [0, 1]; 1 leaves ``target`` unchanged, 0 copies ``online``.
    """
    t_params, o_params = list(target.parameters()), list(online.parameters())
    if len(t_params) != len(o_params):
        raise ValueError(
            f"target and online modules differ: {len(t_params)} vs {len(o_params)} parameters."
        )
    weight = 1.0 - float(momentum)
    for t, o in zip(t_params, o_params):
        t.lerp_(o.detach(), weight)
    for t, o in zip(target.buffers(), online.buffers()):
        if t.dtype.is_floating_point:
            t.lerp_(o, weight)
        else:
            t.copy_(o)
