"""Where public datasets live: ${data_root}, EEG_SSL_DATA, the sources registry."""

from pathlib import Path

import pytest

from eeg_ssl.io import datasets
from eeg_ssl.io.datasets import (
    DATA_ROOT_ENV,
    SOURCES,
    dataset_of_path,
    default_data_root,
    download_hint,
    expand_data_root,
    missing_data_message,
)


def test_expand_data_root__explicit_then_env(tmp_path, monkeypatch):
    config = {"prepare": {"inputs": ["${data_root}/eegmat/*.edf"], "n_jobs": 2}}
    out = expand_data_root(config, tmp_path)
    assert out["prepare"]["inputs"] == [f"{tmp_path.resolve()}/eegmat/*.edf"]
    assert out["prepare"]["n_jobs"] == 2 and config["prepare"]["inputs"][0].startswith("${")
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "env"))
    assert default_data_root() == tmp_path / "env"
    assert expand_data_root("${data_root}/x") == f"{(tmp_path / 'env').resolve()}/x"


def test_expand_data_root__without_a_root(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ROOT_ENV, raising=False)
    monkeypatch.setattr(datasets, "__file__", str(tmp_path / "a" / "b" / "datasets.py"))
    assert default_data_root() is None  # no checkout with ../shared/data beside it
    assert expand_data_root("${data_root}/eegmat") == "${data_root}/eegmat"  # left for later
    with pytest.raises(ValueError, match="--data-root DIR .* EEG_SSL_DATA"):
        expand_data_root("${data_root}/eegmat", strict=True)
    message = missing_data_message(FileNotFoundError("matched no file"), ["${data_root}/eegmat/*"])
    assert message.startswith("No data root is set") and "eeg-ssl fetch eegmat" in message


def test_sources__every_dataset_has_a_page_and_a_licence():
    for name, source in SOURCES.items():
        assert source["page"].startswith("https://") and source["licence"], name
        assert source["page"] in download_hint(name)
    assert dataset_of_path(Path("/data/eegmat/Subject00_1.edf"), "/data") == "eegmat"
    assert dataset_of_path("/elsewhere/recordings/x.edf") is None
    with pytest.raises(ValueError, match="Did you mean 'eegmat'"):
        download_hint("egmat")
