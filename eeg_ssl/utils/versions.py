"""Installed package versions, read from package metadata."""

from __future__ import annotations

from importlib import metadata

__all__ = ["package_versions"]


def package_versions(names):
    """Installed versions of the distributions ``names``; None for one not installed.

    Read from package metadata, so nothing is imported (importing braindecode only to
    read its version would also print its import-time warnings).
    """
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
