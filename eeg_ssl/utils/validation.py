"""Checks of numbers and worker counts from user input, with MNE-style messages."""

from __future__ import annotations

import numbers
import os


def check_number(name, value, *, minimum=None, exclusive=True, allow_none=True, what=None):
    """Check that ``value`` is a real number (not a bool or a string) above ``minimum``.

    Parameters
    ----------
    name : str
        The parameter name, used in the message.
    value : object
        The received value.
    minimum : float | None
        Lower bound; ``None`` for none.
    exclusive : bool
        Whether ``minimum`` itself is refused (``value > minimum``) or allowed.
    allow_none : bool
        Whether ``None`` is accepted (and returned as is).
    what : str | None
        The expected value in words; default from ``minimum`` ("a positive number", ...).

    Returns
    -------
    value : float | None
    """
    if value is None and allow_none:
        return None
    if what is None:
        if minimum == 0:
            what = "a positive number" if exclusive else "a number >= 0"
        elif minimum is None:
            what = "a number"
        else:
            what = f"a number {'>' if exclusive else '>='} {minimum:g}"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok and value != value:  # NaN
        ok = False
    if ok and minimum is not None:
        ok = value > minimum if exclusive else value >= minimum
    if not ok:
        raise ValueError(f"Invalid value for {name!r}: expected {what}; got {value!r}.")
    return value


def check_n_jobs(n_jobs, name="n_jobs"):
    """Number of worker processes from ``n_jobs`` with joblib's meaning.

    ``None`` or 1: one; ``-1``: one per CPU core; ``-n``: ``n_cpus + 1 - n`` (``-2``:
    all cores but one); 0 is an error. Same rule as :class:`joblib.Parallel`.

    Parameters
    ----------
    n_jobs : int | None
    name : str
        The parameter name, used in the message.

    Returns
    -------
    n : int
        At least 1.
    """
    if n_jobs is None:
        return 1
    if (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral)
            or n_jobs == 0):  # fmt: skip
        raise ValueError(
            f"Invalid value for {name!r}: expected a whole number other than 0 (1: one "
            f"process, -1: one per CPU core, -2: all but one, ...); got {n_jobs!r}."
        )
    n_cpus = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(n_cpus + 1 + int(n_jobs), 1)


__all__ = ["check_n_jobs", "check_number"]
