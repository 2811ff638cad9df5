"""Pictures of a pretraining run: what people look at first when pretraining goes wrong.

:func:`plot_run` writes, beside the run (``eeg-ssl plot RUN``):

- ``curves.png``: the loss and the representation monitors per epoch (``history.csv``);
- ``reconstruction.png``: one window and its reconstruction (autoencoder, MAE);
- ``views.png``: one window and the views the method's augmentations make of it;
- ``embedding_map.png``: a PCA map of the embeddings, coloured by label and subject.

Needs matplotlib (``pip install 'eeg-ssl[plot]'``); figures use the Agg backend.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .utils import seeded
from .utils.logs import logger

_INSTALL = "pip install 'eeg-ssl[plot]'"
#: history.csv columns drawn in ``curves.png``, with the words used on the axes.
CURVES = {
    "loss": "loss (lower is better)",
    "embedding_std": "embedding spread (near 0: collapsed)",
    "effective_rank": "effective dimensions",
    "knn_balanced_accuracy": "kNN balanced accuracy",
    "alignment": "alignment of views",
    "uniformity": "uniformity",
}


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"Pictures need matplotlib: {_INSTALL}") from err
    return plt


def save_figure(fig, path, *, dpi=90):
    """Save a matplotlib figure as a PNG atomically (a reader never sees half a file) and
    close it; the folder is created. Returns the path."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.tight_layout()
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
    return path


_save = save_figure


def plot_curves(history, path):
    """Loss and monitor curves per epoch.

    Parameters
    ----------
    history : pandas.DataFrame | str | Path
        The run's ``history.csv`` (one row per epoch), or its path.
    path : str | Path
        PNG to write.

    Returns
    -------
    path : Path
    """
    import pandas as pd

    plt = _pyplot()
    frame = pd.read_csv(history) if isinstance(history, (str, Path)) else history
    x = frame["epoch"] + 1 if "epoch" in frame else np.arange(1, len(frame) + 1)
    columns = [c for c in CURVES if c in frame and frame[c].notna().any()]
    fig, axes = plt.subplots(1, len(columns), figsize=(3.2 * len(columns), 2.8), squeeze=False)
    for ax, column in zip(axes[0], columns):
        ax.plot(x, frame[column], marker="." if len(frame) < 30 else None)
        ax.set_title(CURVES[column], fontsize=9)
        ax.set_xlabel("epoch")
    return _save(fig, path)


def _window_plot(ax, window, sfreq, title, n_chans=4, color=None):
    """A few channels of one window (n_chans, n_times), offset vertically."""
    window = np.asarray(window)[:n_chans]
    t = np.arange(window.shape[-1]) / sfreq
    step = 3 * float(np.std(window)) or 1.0
    for c, trace in enumerate(window):
        ax.plot(t, trace - c * step, lw=0.7, color=color)
    ax.set_yticks([])
    ax.set_xlabel("s")
    ax.set_title(title, fontsize=9)


def plot_reconstruction(method, window, sfreq, path):
    """One window and the method's reconstruction of it (autoencoder or MAE).

    Returns
    -------
    path : Path | None
        ``None`` when the method does not reconstruct its input.
    """
    import torch

    if not hasattr(method, "reconstruct"):
        return None
    plt = _pyplot()
    X = torch.as_tensor(window[None], dtype=torch.float32)  # (1, C, T)
    with torch.no_grad():
        out = method.eval().reconstruct(X)
    if isinstance(out, tuple):  # MAE: patches (1, N, C * P) and mask (1, N)
        patches, mask = out
        n_chans, patch = X.shape[1], method.encoder.patch_size
        # (1, N, C*P) -> (N, C, P) -> (C, N*P)
        recon = patches[0].reshape(-1, n_chans, patch).permute(1, 0, 2).reshape(n_chans, -1)
        title = f"reconstruction ({int(mask.sum())} of {mask.shape[1]} patches masked)"
    else:
        recon, title = out[0], "reconstruction"
    recon = recon.numpy()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))  # own scales: MAE predicts normalised patches
    _window_plot(axes[0], window[:, : recon.shape[-1]], sfreq, "input window")
    _window_plot(axes[1], recon, sfreq, title, color="tab:orange")
    return _save(fig, path)


def plot_views(method, window, sfreq, path, *, random_state=0):
    """One window and the views its method's augmentations make of it.

    Returns
    -------
    path : Path | None
        ``None`` when the method has no view recipe (``views``).
    """
    import torch

    views = getattr(method, "views", None)
    if views is None or not callable(views):
        return None
    plt = _pyplot()
    X = torch.as_tensor(window[None], dtype=torch.float32)
    with torch.no_grad(), seeded(random_state):  # views drawing from torch's generator
        made = [v[0].numpy() for v in views(X)]
    fig, axes = plt.subplots(1, 1 + len(made), figsize=(3.2 * (1 + len(made)), 3))
    _window_plot(axes[0], window, sfreq, "window")
    for k, (ax, view) in enumerate(zip(axes[1:], made)):
        _window_plot(ax, view, sfreq, f"view {k + 1}", color="tab:green")
    return _save(fig, path)


def plot_run(run, *, data=None, out=None, max_windows=2000, random_state=0):
    """Write the pictures of a pretraining run (see the module docstring).

    Parameters
    ----------
    run : str | Path
        A run folder of ``eeg-ssl pretrain`` (``history.csv``, ``checkpoint.pt``).
    data : str | Path | None
        Prepared folder for the window pictures; default: the one the run trained on
        (its ``config.yaml``). Without one, only the curves are drawn.
    out : str | Path | None
        Folder for the PNGs (default: ``run``).
    max_windows : int
        At most this many windows (drawn evenly) in the embedding map.
    random_state : int

    Returns
    -------
    paths : list of Path
    """
    import yaml

    _pyplot()  # fail early, with the install hint
    run = Path(run)
    out = Path(out) if out else run
    if not (run / "history.csv").exists() and (run / "pretrain" / "history.csv").exists():
        run = run / "pretrain"  # the folder of `eeg-ssl run`
        out = out / "pretrain" if out == run.parent else out
    if not (run / "history.csv").exists():
        raise FileNotFoundError(
            f"{str(run)!r} has no history.csv: give the folder of `eeg-ssl pretrain --out`."
        )
    paths = [plot_curves(run / "history.csv", out / "curves.png")]
    if data is None and (run / "config.yaml").exists():
        data = (yaml.safe_load((run / "config.yaml").read_text()) or {}).get("data")
    if isinstance(data, (list, tuple)):  # a corpus of several folders: pictures of the first
        data = data[0] if data else None
    if not data or not (run / "checkpoint.pt").exists() or not Path(data).exists():
        logger.info("Only the curves: no checkpoint or prepared folder for the window pictures.")
        return paths
    from .data import ShardDataset
    from .evaluation.embedding import embed_windows
    from .evaluation.maps import save_embedding_map
    from .io import read_record
    from .training.checkpoint import method_from_checkpoint

    method = method_from_checkpoint(run / "checkpoint.pt")
    sfreq = float(read_record(data)["recipe"]["sfreq"])
    dataset = ShardDataset(data)
    rng = np.random.default_rng(random_state)
    window = dataset[int(rng.integers(len(dataset)))][0].numpy()
    for maker, name in ((plot_reconstruction, "reconstruction.png"), (plot_views, "views.png")):
        path = maker(method, window, sfreq, out / name)
        if path is not None:
            paths.append(path)
    index = np.linspace(0, len(dataset) - 1, min(max_windows, len(dataset))).astype(int)
    X = np.stack([w.numpy() for w, _ in dataset.__getitems__(index)])  # (n, C, T)
    Z = embed_windows(method.encoder, X, verbose=False)
    labels = dataset.manifest["label"].to_numpy(dtype=str)[index]
    labels = np.where(labels == "", "(unlabelled)", labels)
    paths.append(save_embedding_map(out / "embedding_map.png", Z, labels,
                                    groups=dataset.groups[index],
                                    title="Embeddings of the prepared windows (PCA)"))  # fmt: skip
    return paths


__all__ = ["CURVES", "plot_curves", "plot_reconstruction", "plot_run", "plot_views"]
