"""The manifest, written in parts as recordings finish (eeg_ssl.io.manifest)."""

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
    read_record,
)

NAMES = COLUMNS + EXTRA_COLUMNS


def _rows(shard, n, offset=0):
    starts = np.arange(n, dtype=np.int64) * 256 + offset
    obj = lambda values: np.array(values, dtype=object)  # noqa: E731
    return {
        "shard": obj([shard] * n), "row": np.arange(n, dtype=np.int64),
        "subject": obj(["007"] * n), "label": obj(["a", ""] * (n // 2) + ["b"] * (n % 2)),
        "start_sample": starts, "start_seconds": starts / 128.0,
        "session": obj(["1"] * n), "task": obj(["rest, eyes"] * n), "run": obj([""] * n),
        "segment": np.zeros(n, dtype=np.int64), "ch_mask": obj(["0110"] * n),
    }  # fmt: skip


@pytest.mark.parametrize("chunk_rows", [1, 3, 100_000])
def test_manifest_writer__same_text_as_one_table(tmp_path, chunk_rows):
    parts = [_rows("a.h5", 5), _rows("b.h5", 0), _rows("c.h5", 4, offset=7)]
    writer = ManifestWriter(tmp_path, chunk_rows=chunk_rows)
    for part in parts:
        writer.add(part)
    record = writer.commit({"n_windows": 9})
    whole = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in NAMES})
    text = (tmp_path / MANIFEST_NAME).read_text()
    assert text == whole.to_csv(index=False)  # the quoted task, the empty run, the floats
    assert record["manifest"] == {"checksum": bytes_checksum(text.encode()), "n_rows": 9}
    assert read_record(tmp_path)["manifest"] == record["manifest"]
    frame = read_manifest(tmp_path)  # checked against the record
    assert list(frame["subject"]) == ["007"] * 9 and frame["start_sample"].iloc[-1] == 775
    assert not list(tmp_path.glob(".*.tmp"))


def test_manifest_writer__empty_table_is_a_header(tmp_path):
    ManifestWriter(tmp_path).commit({"n_windows": 0})
    assert (tmp_path / MANIFEST_NAME).read_text() == pd.DataFrame(columns=NAMES).to_csv(
        index=False
    )
    assert len(read_manifest(tmp_path)) == 0


def test_manifest_writer__discard_leaves_nothing(tmp_path):
    writer = ManifestWriter(tmp_path, chunk_rows=1)
    writer.add(_rows("a.h5", 3))
    writer.discard()
    assert not list(tmp_path.iterdir())
