"""Package versions from metadata."""

import numpy as np

from eeg_ssl.utils import package_versions


def test_package_versions__installed_and_missing():
    versions = package_versions(["numpy", "no-such-distribution-eeg-ssl"])
    assert versions == {"numpy": np.__version__, "no-such-distribution-eeg-ssl": None}
