"""Argument validation with MNE-style messages."""

from __future__ import annotations

import contextlib
import difflib
import numbers

import numpy as np

# torch is imported inside the functions that need it, so that `eeg_ssl.io` (prepare)
# runs without loading torch (~0.9 GB of RSS with braindecode).


def check_option(name, value, allowed):
    """Check that ``value`` is one of ``allowed``; suggest the closest on failure.

    Parameters
    ----------
    name : str
        The parameter name, used in the message.
    value : object
        The received value.
    allowed : iterable
        The allowed values.

    Returns
    -------
    value : object
        ``value`` unchanged.
    """
    allowed = list(allowed)
    if value in allowed:
        return value
    hint = ""
    if isinstance(value, str):
        close = difflib.get_close_matches(value, [str(a) for a in allowed], n=1)
        if close:
            hint = f" Did you mean {close[0]!r}?"
    raise ValueError(
        f"Invalid value for {name!r}: allowed {', '.join(repr(a) for a in allowed)}; "
        f"got {value!r}.{hint}"
    )


def check_random_state(random_state):
    """Return a :class:`numpy.random.Generator` from an int, a Generator or None."""
    if isinstance(random_state, numbers.Integral) and random_state < 0:  # NumPy's message
        raise ValueError(  # ("expected non-negative integer") names no parameter
            f"Invalid value for 'random_state' (the seed, --seed): expected None or an int "
            f">= 0; got {random_state!r}."
        )
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    raise TypeError(
        f"'random_state' must be None, an int or a numpy Generator; got "
        f"{type(random_state).__name__}."
    )


def torch_generator(random_state, device="cpu"):
    """Return a :class:`torch.Generator` seeded from ``random_state``.

    ``None`` draws a fresh seed from the OS, so results differ between calls;
    an int gives the same stream every time.
    """
    import torch

    if isinstance(random_state, torch.Generator):
        return random_state
    if random_state is None:
        seed = int(np.random.default_rng().integers(2**63 - 1))
    elif isinstance(random_state, numbers.Integral):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).integers(2**63 - 1))
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


@contextlib.contextmanager
def seeded(random_state):
    """Run a block under a fixed torch seed without touching the caller's RNG state.

    torch layers draw their initial weights from the global generator and take no
    generator argument, so model construction is seeded this way (the global state
    is restored on exit).
    """
    import torch

    if random_state is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(check_random_state(random_state).integers(2**31)))
        yield
