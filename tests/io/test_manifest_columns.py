"""A few manifest columns, compact and read in blocks (eeg_ssl.io.manifest_columns)."""

import numpy as np
import pandas as pd
import pytest

from eeg_ssl.io.integrity import bytes_checksum
from eeg_ssl.io.manifest import (
    COLUMNS,
    EXTRA_COLUMNS,
    MANIFEST_NAME,
    ManifestWriter,
    read_manifest,
)
from eeg_ssl.io.manifest_columns import read_manifest_columns

NAMES = COLUMNS + EXTRA_COLUMNS


def _table(n):
    obj = lambda values: np.array(values, dtype=object)  # noqa: E731
    labels = ["a", "", 'say "hi", twice', "multi\nline", "011"]
    starts = np.arange(n, dtype=np.int64) * 256
    return {
        "shard": obj([f"rec-{i // 7}.h5" for i in range(n)]), "row": np.arange(n) % 7,
        "subject": obj([f"{i % 3:03d}" for i in range(n)]),
        "label": obj([labels[i % len(labels)] for i in range(n)]),
        "start_sample": starts, "start_seconds": starts / 128.0,
        "session": obj([""] * n), "task": obj(["rest, eyes"] * n), "run": obj(["1"] * n),
        "segment": np.zeros(n, dtype=np.int64),
        "ch_mask": obj(["0110" if i % 4 else "1111" for i in range(n)]),
    }  # fmt: skip


@pytest.fixture
def folder(tmp_path):
    writer = ManifestWriter(tmp_path)
    writer.add(_table(53))
    writer.commit({"n_windows": 53})
    return tmp_path


@pytest.mark.parametrize("block_bytes", [1, 40, 333, 16 << 20])
def test_read_manifest_columns__equals_the_whole_table(folder, block_bytes):
    whole, checksum = read_manifest(folder, return_checksum=True)
    columns = ["shard", "row", "subject", "label", "start_seconds", "ch_mask"]
    table, n_rows, got = read_manifest_columns(folder, columns, block_bytes=block_bytes)
    assert n_rows == 53 and got == checksum
    assert checksum == bytes_checksum((folder / MANIFEST_NAME).read_bytes())
    for col in columns:  # quotes, commas, a newline inside a label, "011" kept as text
        np.testing.assert_array_equal(np.asarray(table[col]), whole[col].to_numpy())
    assert isinstance(table["label"], pd.Categorical) and len(table["label"].categories) == 5
    assert table["row"].dtype == np.int64 and table["start_seconds"].dtype == np.float64


def test_read_manifest_columns__no_final_newline_and_older_manifests(tmp_path):
    text = (
        "shard,row,subject,label,start_sample,start_seconds\na.h5,0,s1,x,0,0.0\na.h5,1,s1,,256,2.0"
    )
    (tmp_path / MANIFEST_NAME).write_text(text)  # no prepare.json: nothing to check against
    table, n_rows, _ = read_manifest_columns(tmp_path, ["row", "label", "ch_mask"],
                                             block_bytes=7)  # fmt: skip
    assert n_rows == 2 and set(table) == {"row", "label"}  # ch_mask absent: left out
    assert list(table["row"]) == [0, 1] and list(table["label"]) == ["x", ""]


def test_read_manifest_columns__empty_table(tmp_path):
    writer = ManifestWriter(tmp_path)
    writer.commit({"n_windows": 0})
    table, n_rows, _ = read_manifest_columns(tmp_path, ["shard", "row"])
    assert n_rows == 0 and len(table["shard"]) == 0 and len(table["row"]) == 0


def test_read_manifest_columns__refuses_edited_and_broken_tables(folder):
    path = folder / MANIFEST_NAME
    text = path.read_text()
    path.write_text(text.replace("rec-1.h5", "rec-9.h5", 1))
    with pytest.raises(ValueError, match="manifest.csv.*changed after preparation"):
        read_manifest_columns(folder, ["shard"], block_bytes=50)
    path.write_text("".join(text.splitlines(True)[:-3]))
    with pytest.raises(ValueError, match="lists 50 windows but prepare.json records 53"):
        read_manifest_columns(folder, ["shard"])
    path.write_text("shard,subject\na.h5,s1\n")
    with pytest.raises(ValueError, match=r"lacks columns \['row', 'label'"):
        read_manifest_columns(folder, ["shard"])
    with pytest.raises(FileNotFoundError, match="not a prepared folder.*eeg-ssl prepare"):
        read_manifest_columns(folder / "nowhere", ["shard"])
    with pytest.raises(ValueError, match="is a file"):
        read_manifest_columns(path, ["shard"])
    path.write_text(text.replace("rec-1.h5", "rec-9.h5", 1))
    table, n_rows, _ = read_manifest_columns(folder, ["shard"], check=False)  # not checked
    assert n_rows == 53 and "rec-9.h5" in table["shard"].categories
