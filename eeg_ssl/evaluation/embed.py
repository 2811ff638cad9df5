"""Embeddings of prepared folders or recordings, written to HDF5 or Parquet, resumable.

``eeg-ssl embed`` is a thin shell over :func:`embed`. Each recording (shard) is
embedded once and committed as its own part file (written to a temporary name, then
renamed); a rerun after an interruption skips the parts already there. The parts are
then gathered into one file, also written atomically.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..utils import check_option
from ..utils.logs import logger, progress_enabled

#: The manifest columns copied beside each embedding.
COLUMNS = ("subject", "session", "run", "task", "label", "start_seconds", "shard", "row")
_INSTALL_PARQUET = "pip install pyarrow"


def _file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _parts_dir(out, checkpoint):
    """Part files of ``out`` for this checkpoint (another checkpoint: other parts)."""
    out = Path(out)
    return out.parent / f".{out.name}.parts" / _file_digest(checkpoint)


def embed_folder(folder, checkpoint, out, *, batch_size=256, device=None, verbose=None):
    """Embed every window of a prepared folder with a checkpoint's encoder.

    Parameters
    ----------
    folder : str | Path
        A prepared folder (``eeg-ssl prepare``).
    checkpoint : str | Path
        ``checkpoint.pt`` of ``eeg-ssl pretrain``.
    out : str | Path
        ``.h5`` (HDF5, h5py) or ``.parquet`` (needs pyarrow) file to write.
    batch_size : int
        Windows per forward pass.
    device : str | None
        ``None``: CUDA when available, else CPU.
    verbose : bool | None
        Progress bar over recordings.

    Returns
    -------
    out : Path
        The file written. HDF5 holds ``embeddings`` (n_windows, n_outputs) float32 and
        one dataset per manifest column (:data:`COLUMNS`); Parquet holds the columns
        and ``e0``, ``e1``, ... .
    """
    return embed_folders([folder], checkpoint, out, batch_size=batch_size, device=device,
                         verbose=verbose)  # fmt: skip


def embed_folders(folders, checkpoint, out, *, batch_size=256, device=None, verbose=None):
    """:func:`embed_folder` over several prepared folders into one file (``folder``
    column added)."""
    import pandas as pd

    from ..data import ShardDataset
    from ..training.checkpoint import encoder_from_checkpoint, load_checkpoint, recording_facts
    from .embedding import embed_windows
    from .recording import check_data_facts

    out = Path(out)
    check_option("output format", out.suffix, [".h5", ".hdf5", ".parquet"])
    if out.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as err:
            raise ImportError(f"Parquet output needs pyarrow: {_INSTALL_PARQUET}") from err
    parts = _parts_dir(out, checkpoint)
    parts.mkdir(parents=True, exist_ok=True)
    payload = load_checkpoint(checkpoint)
    encoder = encoder_from_checkpoint(payload)
    tables, done, skipped = [], [], 0
    jobs, orders = [], {}
    for k, folder in enumerate(folders):
        dataset = ShardDataset(folder)
        # each folder must look like the training data (channels, rate, window, units),
        # else the encoder would embed it without a word and mean something else
        orders[k] = check_data_facts(payload.get("recording"), recording_facts(dataset),
                                     trained_name=str(checkpoint), data_name=str(folder))  # fmt: skip
        for shard in dict.fromkeys(dataset.manifest["shard"]):
            jobs.append((k, folder, dataset, shard))
    for k, folder, dataset, shard in tqdm(jobs, desc="embed", unit="rec",
                                          disable=not progress_enabled(verbose)):  # fmt: skip
        part = parts / f"{k}-{Path(shard).stem}.npz"
        index = np.flatnonzero(dataset.manifest["shard"].to_numpy() == shard)
        if part.exists():
            skipped += 1
        else:
            X = np.stack([w.numpy() for w, _ in dataset.__getitems__(index)])  # (n, C, T)
            if orders[k] is not None:  # the same channels in another order: training order
                X = X[:, orders[k]]
            Z = embed_windows(encoder, X, batch_size=batch_size, device=device, verbose=False)
            tmp = part.with_name(part.name + ".tmp.npz")
            np.savez(tmp, embeddings=Z.astype(np.float32))
            os.replace(tmp, part)  # the part is there whole or not at all
        with np.load(part) as data:
            done.append(data["embeddings"])
        rows = dataset.manifest.iloc[index]
        table = pd.DataFrame({c: rows[c].to_numpy() if c in rows else "" for c in COLUMNS})
        table.insert(0, "folder", str(folder))
        tables.append(table)
    if skipped:
        logger.info("Resumed: %d of %d recordings were already embedded.", skipped, len(jobs))
    if not jobs:
        raise ValueError(f"No windows in {[str(f) for f in folders]}.")
    Z = np.concatenate(done)
    table = pd.concat(tables, ignore_index=True)
    _write(out, Z, table)
    return out


def _write(out, Z, table):
    """Write embeddings + columns to ``out`` atomically (temporary file, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix == ".parquet":
        frame = table.copy()
        for j in range(Z.shape[1]):
            frame[f"e{j}"] = Z[:, j]
        frame.to_parquet(tmp, index=False)
    else:
        import h5py

        with h5py.File(tmp, "w") as h5:
            h5.create_dataset("embeddings", data=Z)
            for column in table.columns:
                values = table[column].to_numpy()
                if column in ("start_seconds", "row"):
                    h5.create_dataset(column, data=values.astype(np.float64 if column ==
                                                                 "start_seconds" else np.int64))  # fmt: skip
                else:
                    h5.create_dataset(column, data=values.astype(str).astype(object),
                                      dtype=h5py.string_dtype())  # fmt: skip
            h5.attrs["columns"] = list(table.columns)
    os.replace(tmp, out)


def read_embeddings(path):
    """Read a file of :func:`embed_folder`: ``(Z, table)``.

    Returns
    -------
    Z : ndarray of float32, shape (n_windows, n_outputs)
    table : pandas.DataFrame
        The manifest columns, one row per window.
    """
    import pandas as pd

    path = Path(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        emb = [c for c in frame.columns if c.startswith("e") and c[1:].isdigit()]
        return frame[emb].to_numpy(np.float32), frame.drop(columns=emb)
    import h5py

    with h5py.File(path, "r") as h5:
        Z = h5["embeddings"][()]
        table = pd.DataFrame({
            c: h5[c].asstr()[()] if h5[c].dtype.kind == "O" else h5[c][()]
            for c in h5.attrs["columns"]
        })  # fmt: skip
    return Z, table


def embed(inputs, checkpoint, out, *, prepare_config=None, batch_size=256, device=None,
          verbose=None):  # fmt: skip
    """Embeddings of prepared folders, or of recordings prepared first.

    Parameters
    ----------
    inputs : list of str
        Prepared folders (holding ``manifest.csv``), or recording files / glob
        patterns. Recordings are prepared into ``.<out name>.prepared/`` beside
        ``out`` with ``prepare_config`` (a ``prepare`` section: ``recipe``,
        ``path_rules``, ...); without a recipe, the one the checkpoint was trained on.
    checkpoint, out, batch_size, device, verbose
        As in :func:`embed_folder`.

    Returns
    -------
    out : Path
    """
    from ..workflow import run_prepare

    inputs = [str(p) for p in inputs]
    folders = [p for p in inputs if (Path(p) / "manifest.csv").exists()]
    recordings = [p for p in inputs if p not in folders]
    if recordings:
        cfg = dict(prepare_config or {})
        if not cfg.get("recipe"):
            from ..training.checkpoint import load_checkpoint

            recipe = (load_checkpoint(checkpoint).get("data") or {}).get("recipe")
            if recipe is None:
                raise ValueError(
                    f"Checkpoint {str(checkpoint)!r} records no recipe: give one to prepare "
                    f"the recordings (--config FILE or --set KEY=VALUE)."
                )
            cfg["recipe"] = {k: v for k, v in recipe.items() if k != "recipe_version"}
        cfg["inputs"] = recordings
        folder = Path(out).parent / f".{Path(out).name}.prepared"
        run_prepare(cfg, folder, verbose=verbose)
        folders.append(str(folder))
    return embed_folders(folders, checkpoint, out, batch_size=batch_size, device=device,
                         verbose=verbose)  # fmt: skip


__all__ = ["COLUMNS", "embed", "embed_folder", "embed_folders", "read_embeddings"]
