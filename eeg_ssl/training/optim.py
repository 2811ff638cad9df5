"""Optimisers: AdamW (default) or LARS, with no weight decay on norms and biases."""

from __future__ import annotations

import torch
from torch import nn

from ..utils import check_option

_NORM_TYPES = (
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.SyncBatchNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
) + ((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ())

OPTIMIZERS = ("adamw", "lars")


def param_groups(module, weight_decay):
    """Split trainable parameters into a decayed and a non-decayed group.

    Parameters of normalisation layers, biases and every other 0-D/1-D parameter
    (e.g. learnable temperatures) get no weight decay, as in SimCLR/BYOL/DINO practice.

    Parameters
    ----------
    module : nn.Module
    weight_decay : float

    Returns
    -------
    groups : list of dict
        ``[{"params", "weight_decay", "names"}, ...]``; empty groups are left out. The
        no-decay group has ``"lars_exclude": True`` (LARS skips its trust ratio).
    """
    decay, no_decay, decay_names, no_decay_names = [], [], [], []
    seen = set()
    for module_name, sub in module.named_modules():
        for name, param in sub.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            full = f"{module_name}.{name}" if module_name else name
            if isinstance(sub, _NORM_TYPES) or name.endswith("bias") or param.ndim <= 1:
                no_decay.append(param)
                no_decay_names.append(full)
            else:
                decay.append(param)
                decay_names.append(full)
    groups = []
    if decay:
        groups.append(dict(params=decay, weight_decay=weight_decay, names=decay_names))
    if no_decay:
        groups.append(
            dict(params=no_decay, weight_decay=0.0, names=no_decay_names, lars_exclude=True)
        )
    if not groups:
        raise ValueError("The method has no trainable parameters (all have requires_grad=False).")
    return groups


class LARS(torch.optim.Optimizer):
    """SGD with momentum and layer-wise adaptive rate scaling (You et al. 2017, arXiv:1708.03888).

    torch has no LARS; this is the SimCLR/BYOL variant: the update of each parameter
    (gradient plus weight decay) is scaled by ``trust * ||w|| / ||update||``, except in
    groups marked ``lars_exclude`` (norms and biases).

    Parameters
    ----------
    params : iterable
        Parameters or groups (see :func:`param_groups`).
    lr : float
    momentum : float
    weight_decay : float
    trust_coefficient : float
    """

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                        trust_coefficient=trust_coefficient, lars_exclude=False)  # fmt: skip
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                update = p.grad.add(p, alpha=group["weight_decay"])
                if not group["lars_exclude"]:
                    w_norm, u_norm = torch.norm(p), torch.norm(update)
                    trust = torch.where(
                        (w_norm > 0) & (u_norm > 0),
                        group["trust_coefficient"] * w_norm / u_norm,
                        torch.ones_like(w_norm),
                    )
                    update = update.mul(trust)
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.clone(update).detach()
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(update)
                p.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss


def build_optimizer(module, *, optimizer="adamw", lr=1e-3, weight_decay=1e-4, momentum=0.9):
    """The optimiser of a training run over ``module``'s trainable parameters.

    Parameters
    ----------
    module : nn.Module
    optimizer : {"adamw", "lars"}
    lr : float
        Base (peak) learning rate.
    weight_decay : float
        Decoupled weight decay (AdamW) or L2 term (LARS); never applied to norms/biases.
    momentum : float
        LARS momentum (ignored by AdamW).
    """
    check_option("optimizer", optimizer, OPTIMIZERS)
    if lr <= 0:
        raise ValueError(f"'lr' must be > 0; got {lr!r}.")
    if weight_decay < 0:
        raise ValueError(f"'weight_decay' must be >= 0; got {weight_decay!r}.")
    groups = param_groups(module, weight_decay)
    if optimizer == "adamw":
        for group in groups:
            group.pop("lars_exclude", None)
        return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)
    return LARS(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)


__all__ = ["LARS", "OPTIMIZERS", "build_optimizer", "param_groups"]
