"""Learning-rate and momentum schedules (pure functions of the step).

The learning-rate schedule is applied through :class:`torch.optim.lr_scheduler.LambdaLR`
with a :class:`WarmupCosine` factor, so its state is plain data in checkpoints.
"""

from __future__ import annotations

import math


def warmup_cosine(step, total_steps, warmup_steps=0, final_factor=0.0):
    """Multiplier of the base value: linear warmup, then cosine decay.

    Parameters
    ----------
    step : int
        Optimiser steps done so far (0-based).
    total_steps : int
        Total optimiser steps of the run.
    warmup_steps : int
        Steps of linear increase from ``1 / (warmup_steps + 1)`` to 1.
    final_factor : float
        Multiplier reached at ``total_steps`` (0 decays to zero).

    Returns
    -------
    factor : float
    """
    if total_steps < 1:
        raise ValueError(f"'total_steps' must be >= 1; got {total_steps}.")
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"'warmup_steps' must be in [0, total_steps={total_steps}]; got {warmup_steps}. "
            f"Lower 'warmup_epochs' or train longer."
        )
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return final_factor + (1.0 - final_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))


class WarmupCosine:
    """The :func:`warmup_cosine` factor as an object for ``LambdaLR`` (its state is plain data).

    Parameters
    ----------
    total_steps, warmup_steps, final_factor
        As in :func:`warmup_cosine`.
    """

    def __init__(self, total_steps, warmup_steps=0, final_factor=0.0):
        warmup_cosine(0, total_steps, warmup_steps, final_factor)  # validates
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.final_factor = float(final_factor)

    def __call__(self, step):
        return warmup_cosine(step, self.total_steps, self.warmup_steps, self.final_factor)


def cosine_momentum(step, total_steps, base=0.996, final=1.0):
    """EMA momentum rising from ``base`` to ``final`` on a cosine (BYOL, Grill et al. 2020).

    Methods with a target network call this from ``on_train_step_end(step, total_steps)``.

    Parameters
    ----------
    step, total_steps : int
    base, final : float
        Momentum at the first and the last step.

    Returns
    -------
    momentum : float
    """
    progress = min(1.0, step / max(1, total_steps))
    return final - (final - base) * 0.5 * (1.0 + math.cos(math.pi * progress))


__all__ = ["WarmupCosine", "cosine_momentum", "warmup_cosine"]
