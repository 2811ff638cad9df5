"""Encoders pretrained across datasets, for leave-one-dataset-out rows of the suite.

``pretrain_on: others`` pretrains one channel-agnostic encoder (``"tokens"``,
:class:`eeg_ssl.models.ChannelTokenEncoder`) on the unlabelled windows of the other
datasets only; ``transductive`` adds the target dataset's own windows (every subject's,
held-out ones included, labels unused). The corpus is a :class:`eeg_ssl.data.CorpusDataset`
on one channel list (the union of every dataset's channels and the target's), at the
target's rate, cropped to one window length (2 s by default, or the target's windows if
shorter). The target's windows are embedded on that channel list, absent channels zero
(the encoder masks all-zero channels); a window longer than the pretraining windows is
embedded as the mean embedding of its consecutive crops of that length.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin

from ..data import CorpusDataset, ShardDataset
from ..io.harmonise import standardise_name
from ..io.manifest import read_record
from ..utils import logger

#: Encoder of the cross-dataset rows (channel-agnostic: any montage, masked channels).
CORPUS_ENCODER = "tokens"


def folder_window(folder):
    """``(sfreq, n_times, channel names)`` of a prepared folder's windows."""
    dataset = ShardDataset(folder)
    sfreq = float(read_record(folder)["recipe"].get("sfreq") or 0)
    with_names = CorpusDataset([folder], balance=None)
    return sfreq, int(dataset.shape[1]), list(with_names.ch_names)


def corpus_folders(folders, *, sfreq, n_times):
    """The folders whose windows are at least ``n_times`` samples long at ``sfreq``.

    Returns
    -------
    kept : dict
        ``{name: folder}``.
    left_out : list of str
        Names of the folders with shorter windows (a corpus crops, it cannot pad).
    """
    kept, left_out = {}, []
    for name, folder in folders.items():
        rate, length, _ = folder_window(folder)
        if int(round(length * sfreq / rate)) >= n_times:
            kept[name] = str(folder)
        else:
            left_out.append(name)
    return kept, left_out


class ChannelMappedEmbedding(TransformerMixin, BaseEstimator):
    """Embed windows of one montage with an encoder built for a larger channel list.

    Parameters
    ----------
    encoder : torch.nn.Module
        A channel-agnostic encoder over ``ch_names`` (all-zero channels masked).
    ch_names : list of str
        The encoder's channel list.
    window_ch_names : list of str
        The channels of the windows given to :meth:`transform`, in their order; names
        are standardised (``"EEG Fp1"`` and ``"FP1"`` are ``"Fp1"``).
    crop : int | None
        Length in samples of the encoder's windows: a longer window is cut into
        consecutive crops of this length (the remainder dropped), and its embedding is
        the mean of theirs. ``None``: windows are embedded whole.
    batch_size : int
    """

    def __init__(self, encoder, ch_names, window_ch_names, *, crop=None, batch_size=256):
        self.encoder = encoder
        self.ch_names = ch_names
        self.window_ch_names = window_ch_names
        self.crop = crop
        self.batch_size = batch_size

    def fit(self, X, y=None):
        """Nothing to fit (the encoder is trained beforehand)."""
        return self

    def transform(self, X):
        """Embeddings, shape (n_windows, n_outputs), of windows (n, C_windows, T)."""
        target = {name: i for i, name in enumerate(self.ch_names)}
        index = [target.get(standardise_name(n), -1) for n in self.window_ch_names]
        if min(index) < 0:
            missing = [n for n, i in zip(self.window_ch_names, index) if i < 0]
            raise ValueError(f"Channels {missing} are not in the encoder's channel list.")
        X = np.asarray(X, dtype=np.float32)
        n_crops = 1
        if self.crop is not None and X.shape[2] > self.crop:
            n_crops = X.shape[2] // self.crop
            # (n, C, T) -> (n * n_crops, C, crop), crops of a window consecutive
            X = (X[:, :, : n_crops * self.crop].reshape(len(X), X.shape[1], n_crops, self.crop)
                 .transpose(0, 2, 1, 3).reshape(-1, X.shape[1], self.crop))  # fmt: skip
        self.encoder.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(X), self.batch_size):
                part = X[start : start + self.batch_size]
                # (n, C_windows, T) -> (n, C_encoder, T), absent channels zero
                mapped = np.zeros((len(part), len(self.ch_names), part.shape[2]), np.float32)
                mapped[:, index] = part
                out.append(self.encoder(torch.from_numpy(mapped)).numpy())
        out = np.concatenate(out)
        # (n * n_crops, D) -> (n, D): the mean over a window's crops
        return out.reshape(-1, n_crops, out.shape[1]).mean(axis=1)


def corpus_encoders(folders, target, *, sources, method, method_params=None,
                    encoder_params=None, pretrain_params=None, window_seconds=2.0,
                    max_windows=None, related=(), random_state=0, verbose=None):  # fmt: skip
    """Pretrain one encoder per source on a corpus; return them with a random reference.

    Parameters
    ----------
    folders : dict
        ``{name: prepared folder}`` of every dataset (the target's included).
    target : str
        The target dataset's name in ``folders``.
    sources : list of "others" | "transductive"
    related : sequence of str
        Other names in ``folders`` that hold the target's own dataset (another task of
        the same recordings' subjects, e.g. eyes and fists of eegmmidb): left out of
        ``"others"`` like the target itself.
    method : str
        SSL method (a key of :data:`eeg_ssl.methods.METHODS`).
    method_params, encoder_params, pretrain_params : dict | None
        The method's and the ``"tokens"`` encoder's parameters; ``epochs``,
        ``batch_size``, ``lr``, ``weight_decay`` of :func:`eeg_ssl.training.pretrain`.
    window_seconds : float
        Length of the pretraining windows (the target's, if shorter): every dataset's
        windows are cropped to it; datasets whose windows are shorter are left out.
    max_windows : int | None
        Pretrain on a random subset of at most this many corpus windows (every window
        once per epoch); ``None``: all, each dataset an equal share of every epoch
        (``CorpusDataset(balance="dataset")``).
    random_state : int
        Seed of the initial weights (shared by the random reference) and of training.

    Returns
    -------
    transformers : dict
        ``{"<method>[<source>]": ChannelMappedEmbedding, "random_weights[tokens]": ...}``.
    notes : list of str
        Folders left out of a corpus, and why.
    """
    from ..methods import build_method
    from ..models import build_encoder
    from ..training import pretrain
    from ..utils import seeded

    sfreq, target_n_times, window_names = folder_window(folders[target])
    n_times = min(target_n_times, int(round(window_seconds * sfreq)))
    everything = CorpusDataset(dict(folders), sfreq=sfreq, n_times=None, balance=None)
    ch_names = list(everything.ch_names)  # the union, the target's channels included
    params = dict(pretrain_params or {})

    def build():
        with seeded(random_state):
            return build_encoder(CORPUS_ENCODER, n_chans=len(ch_names), n_times=n_times,
                                 sfreq=sfreq, ch_names=ch_names,
                                 **dict(encoder_params or {}))  # fmt: skip

    transformers, notes = {}, []
    transformers[f"random_weights[{CORPUS_ENCODER}]"] = ChannelMappedEmbedding(
        build(), ch_names, window_names, crop=n_times)  # fmt: skip
    for source in sources:
        own = {target, *related}
        pool = {n: f for n, f in folders.items() if n not in own or source == "transductive"}
        kept, left_out = corpus_folders(pool, sfreq=sfreq, n_times=n_times)
        if left_out:
            notes.append(f"{target}: pretrain_on {source!r} leaves out {left_out} (windows "
                         f"shorter than the {n_times} samples pretrained on).")  # fmt: skip
        if not kept:
            notes.append(f"{target}: pretrain_on {source!r} not run: no dataset left.")
            continue
        start = time.perf_counter()
        capped = max_windows is not None
        dataset = CorpusDataset(kept, sfreq=sfreq, n_times=n_times, channels=ch_names,
                                balance=None if capped else "dataset",
                                random_state=random_state)  # fmt: skip
        if capped and len(dataset) > max_windows:
            keep = np.random.default_rng(random_state).choice(len(dataset), int(max_windows),
                                                              replace=False)  # fmt: skip
            dataset = torch.utils.data.Subset(dataset, np.sort(keep).tolist())
        encoder = build()
        with seeded(random_state):
            # the views' seeds too: without it they came from fresh entropy, and two runs
            # with the same random_state pretrained different encoders
            ssl = build_method(method, encoder,
                               **dict({"random_state": random_state}, **(method_params or {})))  # fmt: skip
        logger.info("%s: pretraining %s on %s (%d windows, %d channels)", target, method,
                    sorted(kept), len(dataset), len(ch_names))  # fmt: skip
        pretrain(ssl, dataset, epochs=params.get("epochs", 10),
                 batch_size=min(params.get("batch_size", 128), len(dataset)),
                 lr=params.get("lr", 1e-3), weight_decay=params.get("weight_decay", 1e-4),
                 random_state=random_state, verbose=verbose)  # fmt: skip
        logger.info("%s: pretrain_on %s done in %.0f s", target, source,
                    time.perf_counter() - start)  # fmt: skip
        transformers[f"{method}[{source}]"] = ChannelMappedEmbedding(
            encoder, ch_names, window_names, crop=n_times)  # fmt: skip
    return transformers, notes


__all__ = ["CORPUS_ENCODER", "ChannelMappedEmbedding", "corpus_encoders", "corpus_folders",
           "folder_window"]  # fmt: skip
