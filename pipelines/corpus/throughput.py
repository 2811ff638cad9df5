"""Pretraining throughput over a multi-dataset corpus (issue 18.3); prints what it measured.

Prepare the folders first (pipelines/corpus/*.yaml), then e.g.

    OMP_NUM_THREADS=1 python pipelines/corpus/throughput.py runs/corpus/{eegmat,eegmmidb,ssvep-exo,muse-cueing,bonn} \
        --methods spectral_prediction simclr --threads 1

Prints the corpus summary (hours per set), the cost of loading a batch (with and without
on-load resampling when a folder's rate differs), and per method one epoch's windows/s
of the channel-token encoder.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from eeg_ssl.data import CorpusDataset
from eeg_ssl.methods import build_method
from eeg_ssl.models import build_encoder
from eeg_ssl.training import pretrain
from eeg_ssl.utils import seeded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--methods", nargs="+", default=["spectral_prediction", "simclr"])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--group-batches", action="store_true", help="subject-aware batches")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    corpus = CorpusDataset(args.folders, random_state=0)
    summary = corpus.summary()
    print(summary.to_string(index=False))
    print(f"total: {summary['hours'].sum():.2f} h, {summary['n_windows'].sum()} windows; "
          f"corpus: {len(corpus.ch_names)} channels (union), {corpus.sfreq:g} Hz, "
          f"{corpus.n_times} samples; epoch of {len(corpus)} items (dataset-balanced)")  # fmt: skip

    rng = np.random.default_rng(0)
    pick = rng.choice(len(corpus), min(len(corpus), 1024), replace=False)
    start = time.perf_counter()
    for i in range(0, len(pick), args.batch_size):
        corpus.__getitems__(pick[i : i + args.batch_size])
    seconds = time.perf_counter() - start
    print(f"loading: {len(pick) / seconds:.0f} windows/s ({1e3 * seconds / len(pick):.2f} ms "
          f"per window, mapping, masks and any resampling included)")  # fmt: skip

    for method_name in args.methods:
        with seeded(0):
            encoder = build_encoder("tokens", n_chans=len(corpus.ch_names), n_times=corpus.n_times,
                                    sfreq=corpus.sfreq, ch_names=corpus.ch_names,
                                    ch_positions=corpus.encoder_positions())  # fmt: skip
            method = build_method(method_name, encoder, random_state=0)
        n_params = sum(p.numel() for p in encoder.parameters())
        history = pretrain(method, corpus, epochs=args.epochs, batch_size=args.batch_size,
                           monitor_every=0, random_state=0, verbose=False,
                           batch_groups=corpus.groups if args.group_batches else None)  # fmt: skip
        for row in history:
            print(f"{method_name} + tokens ({n_params} parameters, {args.threads} thread(s)): "
                  f"epoch {row['epoch']}: {row['samples_per_second']:.1f} windows/s, "
                  f"{row['seconds']:.0f} s, loss {row['loss']:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
