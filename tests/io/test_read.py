"""File-level helpers of eeg_ssl.io.read."""

from __future__ import annotations

import hashlib

import pytest

from eeg_ssl.io.read import file_sha256


@pytest.mark.parametrize("file_digest", [True, False])
@pytest.mark.parametrize("size", [0, 5, (1 << 20) + 3])
def test_file_sha256__equals_hashlib_on_the_bytes(tmp_path, monkeypatch, file_digest, size):
    if not file_digest:  # the Python < 3.11 path: read in blocks
        monkeypatch.delattr(hashlib, "file_digest", raising=False)
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(path, chunk_size=7) == hashlib.sha256(data).hexdigest()
