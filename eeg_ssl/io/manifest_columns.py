"""A few columns of ``manifest.csv``, compact and read in blocks, for the loaders.

:func:`~eeg_ssl.io.read_manifest` parses every column of the table into a DataFrame:
about 100 bytes per window held, and twice that at its peak while the text is parsed
(measured on a 1 M-window folder), i.e. gigabytes per process for a corpus of tens of
millions of windows. The loaders need four columns. :func:`read_manifest_columns` reads
the file in blocks of whole lines, hashes every block as it is read (the same checksum
as the whole file's), parses only the columns asked for, and keeps text columns as
:class:`pandas.Categorical` (a small integer code per window and each distinct value
once), so its peak is the result plus one block. Hand-written because pandas' own
chunked reader (``chunksize``) gives no access to the bytes it parsed, which the
checksum must cover.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from .manifest import COLUMNS, RECORD_NAME, _check_manifest, manifest_path, read_record

#: The columns that hold numbers; every other column is text.
NUMERIC_COLUMNS = {"row": np.int64, "start_sample": np.int64, "start_seconds": np.float64}


def _split_point(block):
    """End of the last whole CSV line of ``block`` (0 if none), outside any quotes."""
    end = block.rfind(b"\n") + 1
    if b'"' not in block:
        return end
    # a quoted field may hold a newline: cut only where the quotes before are balanced
    # (CSV escapes a quote by doubling it, which keeps the count even)
    while end > 0 and block.count(b'"', 0, end) % 2:
        end = block.rfind(b"\n", 0, end - 1) + 1
    return end


def read_manifest_columns(folder, columns, *, check=True, block_bytes=4 << 20):
    """Read some columns of a prepared folder's ``manifest.csv``, compactly.

    Parameters
    ----------
    folder : str | Path
        A prepared folder.
    columns : list of str
        Columns to read. Those of :data:`~eeg_ssl.io.manifest.COLUMNS` must exist;
        another column missing from the file (an older manifest) is left out of the
        result.
    check : bool
        Check the table against ``prepare.json`` (checksum and row count), as
        :func:`~eeg_ssl.io.read_manifest` does.
    block_bytes : int
        Bytes read and parsed at a time. Parsing a block takes about four times its
        size; 4 MB blocks parse 1 M rows as fast as 16 MB ones (0.44 vs 0.52 s) with a
        peak of 30 instead of 84 bytes per window (``pipelines/bench_index.py`` folder).

    Returns
    -------
    table : dict
        ``{column: values}``: :class:`pandas.Categorical` for text columns, a NumPy
        array for ``row``, ``start_sample`` and ``start_seconds``; in file order.
    n_rows : int
        Rows of the table.
    checksum : str
        Checksum of the file's bytes (``"xxh3_128:<hex>"``).
    """
    from .integrity import CHECKSUM_ALGORITHM, _hasher

    folder = Path(folder)
    path = manifest_path(folder)
    record = read_record(folder) if check and (folder / RECORD_NAME).exists() else None
    hasher = _hasher()
    parts, n_rows = {}, 0
    with open(path, "rb") as fid:
        header = fid.readline()
        hasher.update(header)
        names = header.decode(errors="replace").strip().split(",")
        missing = [col for col in COLUMNS if col not in names]
        if missing:
            raise ValueError(f"{str(path)!r} lacks columns {missing}; re-run `eeg-ssl prepare`.")
        wanted = [col for col in columns if col in names]
        parts = {col: [] for col in wanted}
        # text as text (a category dtype would read "011" as the number 11), each
        # block's column then made categorical
        dtypes = {col: NUMERIC_COLUMNS.get(col, str) for col in wanted}
        rest = b""
        while True:
            data = fid.read(block_bytes)
            hasher.update(data)
            block = rest + data
            if not data:  # end of file: the rest is the last line (no final newline)
                end = len(block)
            else:
                end = _split_point(block)
            rest = block[end:]
            if end:
                frame = _parse(path, header + block[:end], wanted, dtypes)
                n_rows += len(frame)
                for col in wanted:
                    values = frame[col]
                    parts[col].append(pd.Categorical(values) if dtypes[col] is str
                                      else values.to_numpy())  # fmt: skip
            if not data:
                break
    checksum = f"{CHECKSUM_ALGORITHM}:{hasher.hexdigest()}"
    if record is not None:
        _check_manifest(folder, record, checksum, n_rows)
    table = {}
    for col in wanted:
        if dtypes[col] is str:
            table[col] = (pd.api.types.union_categoricals(parts[col]) if parts[col]
                          else pd.Categorical(np.empty(0, dtype=object)))  # fmt: skip
        else:
            table[col] = (np.concatenate(parts[col]) if parts[col]
                          else np.empty(0, dtype=dtypes[col]))  # fmt: skip
    return table, n_rows, checksum


def _parse(path, text, columns, dtypes):
    try:
        return pd.read_csv(io.BytesIO(text), usecols=columns, dtype=dtypes,
                           keep_default_na=False)  # fmt: skip
    except (ValueError, pd.errors.ParserError) as err:
        raise ValueError(
            f"{str(path)!r} is not a readable manifest ({err}); re-run `eeg-ssl prepare`."
        ) from err
