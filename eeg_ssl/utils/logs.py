"""The one logger of eeg-ssl and MNE-style ``verbose`` handling."""

from __future__ import annotations

import contextlib
import logging

logger = logging.getLogger("eeg_ssl")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _to_level(verbose):
    """Turn ``verbose`` (None, bool, int or level name) into a logging level."""
    if verbose is None:
        return logger.level
    if isinstance(verbose, bool):
        return logging.INFO if verbose else logging.WARNING
    if isinstance(verbose, int):
        return verbose
    key = str(verbose).lower()
    if key not in _LEVELS:
        raise ValueError(
            f"Invalid value for 'verbose': allowed None, True, False, an int or one of "
            f"{sorted(_LEVELS)}; got {verbose!r}."
        )
    return _LEVELS[key]


def set_log_level(verbose=None):
    """Set the level of the ``eeg_ssl`` logger.

    Parameters
    ----------
    verbose : bool | int | str | None
        ``True`` is INFO, ``False`` is WARNING, a string is a level name.
    """
    logger.setLevel(_to_level(verbose))


@contextlib.contextmanager
def use_log_level(verbose=None):
    """Temporarily set the ``eeg_ssl`` logger level (no-op for ``None``)."""
    old = logger.level
    logger.setLevel(_to_level(verbose))
    try:
        yield
    finally:
        logger.setLevel(old)


def progress_enabled(verbose):
    """Whether a tqdm bar should show for this ``verbose`` value."""
    if verbose is None:
        return logger.level <= logging.INFO
    return _to_level(verbose) <= logging.INFO
