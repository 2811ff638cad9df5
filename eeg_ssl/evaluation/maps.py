"""Two-dimensional maps of embeddings (PCA or t-SNE) saved as PNG."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.preprocessing import StandardScaler

from ..utils import check_option


def embedding_map(features, *, method="pca", random_state=0):
    """Project features to 2-D.

    Parameters
    ----------
    features : ndarray, shape (n_windows, n_features)
    method : "pca" | "tsne"
    random_state : int

    Returns
    -------
    coords : ndarray, shape (n_windows, 2)
    """
    check_option("method", method, ["pca", "tsne"])
    Z = StandardScaler().fit_transform(np.asarray(features, dtype=np.float64))
    if method == "pca":
        return PCA(2, random_state=random_state).fit_transform(Z)
    perplexity = float(min(30, max(2, (len(Z) - 1) // 3)))
    return TSNE(2, perplexity=perplexity, init="pca", random_state=random_state).fit_transform(Z)


def save_embedding_map(path, features, labels, *, groups=None, method="pca", title=None,
                       random_state=0):  # fmt: skip
    """Scatter a 2-D map of the embeddings coloured by label and save it as PNG.

    Parameters
    ----------
    path : str | Path
        Output ``.png`` (written atomically).
    features : ndarray, shape (n_windows, n_features)
    labels : array-like, shape (n_windows,)
        Colour of each point (class names or indices).
    groups : array-like, shape (n_windows,) | None
        Subject of each window; when given, a second panel is coloured by subject.
    method : "pca" | "tsne"
    title : str | None

    Returns
    -------
    path : Path
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("Embedding maps need matplotlib: pip install 'eeg-ssl[plot]'") from err
    coords = embedding_map(features, method=method, random_state=random_state)
    panels = [("label", np.asarray(labels))]
    if groups is not None:
        panels.append(("subject", np.asarray(groups)))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5), squeeze=False)
    for ax, (name, values) in zip(axes[0], panels):
        uniques = sorted(set(values.tolist()), key=str)
        cmap = plt.get_cmap("tab10" if len(uniques) <= 10 else "tab20")
        for i, value in enumerate(uniques):
            mask = values == value
            ax.scatter(coords[mask, 0], coords[mask, 1], s=6, alpha=0.6,
                       color=cmap(i % cmap.N), label=str(value))  # fmt: skip
        ax.set_title(f"{method.upper()} coloured by {name}")
        ax.set_xticks([])
        ax.set_yticks([])
        if len(uniques) <= 12:
            ax.legend(markerscale=2, fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    from ..plotting import save_figure

    return save_figure(fig, path, dpi=110)
