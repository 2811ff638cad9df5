"""Embedding maps."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.evaluation import embedding_map, save_embedding_map


def test_embedding_map__pca_and_tsne_shapes():
    F = np.random.default_rng(0).normal(size=(30, 6))
    assert embedding_map(F).shape == (30, 2)
    assert embedding_map(F, method="tsne").shape == (30, 2)
    with pytest.raises(ValueError, match="Did you mean 'pca'"):
        embedding_map(F, method="pcaa")


def test_save_embedding_map__writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    F = np.random.default_rng(0).normal(size=(30, 6))
    path = save_embedding_map(tmp_path / "map.png", F, np.repeat(["a", "b"], 15),
                              groups=np.repeat([1, 2, 3], 10))  # fmt: skip
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*"))  # no temporary file left
