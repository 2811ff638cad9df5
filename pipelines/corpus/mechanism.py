"""Why did pretraining lower the covariance encoder's accuracy on new subjects? (issue 18.7)

Selection data only (eegmat). The recipe of
``pipelines/benchmarks/eegmat-spectral-prediction-aligned.yaml`` (covariance encoder,
760-d embedding, spectral_prediction, 12 epochs, every subject re-centred by Euclidean
alignment) is pretrained on the training subjects of each subject-wise fold; then,
against the same encoder with its random initial weights, it measures

1. band drift: the learnt band centres and widths against their initial EEG bands;
2. subject identity: a linear probe that tells the 24 subjects apart from embeddings
   (trained on the first half of every recording, scored on the second half);
3. attribution: the held-out subjects' rest-vs-arithmetic probe when the random
   encoder receives one pretrained part at a time (band filters, spatial filters,
   batch-norm statistics, final layer), the pretrained encoder with its batch-norm
   statistics re-estimated on clean (unmasked) training windows or reset to the identity
   (mean 0, variance 1, as the random encoder has them), and the random encoder with
   statistics estimated on the training windows.

    OMP_NUM_THREADS=1 python pipelines/corpus/mechanism.py runs/corpus/eegmat-2s --folds 4

Prints every number it measures.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from eeg_ssl.data import ShardDataset
from eeg_ssl.methods import build_method
from eeg_ssl.models import build_encoder
from eeg_ssl.training import pretrain
from eeg_ssl.transforms.alignment import euclidean_alignment
from eeg_ssl.utils import seeded

PARTS = {
    "band filters": lambda m: [m.filter.f_mean, m.filter.bandwidth, m.filter.shape],
    "spatial filters": lambda m: [m.spatial],
    "final layer": lambda m: [m.final_layer.weight, m.final_layer.bias],
}


@torch.no_grad()
def embed(encoder, X, batch=256):
    encoder.eval()
    return np.concatenate([encoder(torch.from_numpy(X[i : i + batch])).numpy()
                           for i in range(0, len(X), batch)])  # fmt: skip


def probe(Z, y, groups, train, test):
    """Rest-vs-arithmetic probe: mean balanced accuracy over the held-out subjects."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    clf.fit(Z[train], y[train])
    pred = clf.predict(Z[test])
    return np.mean([balanced_accuracy_score(y[test][groups[test] == s], pred[groups[test] == s])
                    for s in np.unique(groups[test])])  # fmt: skip


def subject_probe(Z, groups, first_half):
    """Subject identity: trained on each recording's first half, scored on the second."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
    clf.fit(Z[first_half], groups[first_half])
    return balanced_accuracy_score(groups[~first_half], clf.predict(Z[~first_half]))


@torch.no_grad()
def refit_batchnorm(encoder, X, batch=256):
    """Re-estimate the batch-norm running statistics on ``X`` (cumulative average)."""
    bn = encoder.batch_layer
    bn.reset_running_stats()
    bn.momentum = None
    encoder.train()
    for i in range(0, len(X), batch):
        encoder(torch.from_numpy(X[i : i + batch]))
    encoder.eval()
    return encoder


def feature_scale_check(X, y, groups, folds, seed):
    """Logistic regression on the random encoder's tangent features, raw vs z-scored."""
    from eeg_ssl.models.covariance_encoder import spd_log, upper_triangle

    with seeded(seed):
        encoder = build_encoder("covariance", n_chans=X.shape[1], n_times=X.shape[2],
                                n_outputs=760, sfreq=128.0).eval()  # fmt: skip
    with torch.no_grad():
        # (N, C, T) -> (N, K, C, C) -> (N, K * C * (C + 1) / 2)
        F = np.concatenate([
            upper_triangle(spd_log(encoder.covariances(torch.from_numpy(X[i : i + 256])).double()))
            .flatten(1).float().numpy() for i in range(0, len(X), 256)
        ])  # fmt: skip
    iu = np.triu_indices(X.shape[1])
    diag = np.tile(iu[0] == iu[1], F.shape[1] // len(iu[0]))
    spread = F.std(axis=0)
    print(f"tangent features: median spread of the diagonal (log-variance) entries "
          f"{np.median(spread[diag]):.3f}, off-diagonal {np.median(spread[~diag]):.3f}")  # fmt: skip
    for name, Z in (("raw", F), ("z-scored", (F - F.mean(0)) / F.std(0))):
        scores = []
        for train, test in GroupKFold(folds).split(Z, y, groups):
            clf = LogisticRegression(C=1.0, max_iter=3000).fit(Z[train], y[train])
            pred = clf.predict(Z[test])
            scores.append(np.mean([
                balanced_accuracy_score(y[test][groups[test] == s], pred[groups[test] == s])
                for s in np.unique(groups[test])
            ]))  # fmt: skip
        print(f"logistic regression on {name} tangent features: held-out task "
              f"{np.mean(scores):.3f}")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="eegmat prepared as in eegmat-spectral-prediction-aligned")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--feature-scale", action="store_true",
                        help="only the raw vs z-scored feature check (no pretraining)")  # fmt: skip
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    ds = ShardDataset(args.folder)
    X, y = ds.load()
    groups = ds.groups.astype(str)
    X = euclidean_alignment(X, groups).astype(np.float32)
    sfreq = 128.0
    # first half of each recording (shard) in time, for the subject-identity probe
    shards, starts = ds.manifest["shard"].to_numpy(), ds.manifest["start_seconds"].to_numpy()
    first_half = np.zeros(len(X), dtype=bool)
    for shard in np.unique(shards):
        rows = shards == shard
        first_half[rows] = starts[rows] < np.median(starts[rows])
    print(
        f"{len(X)} windows {X.shape[1:]}, {len(np.unique(groups))} subjects, classes {ds.classes}"
    )
    if args.feature_scale:
        feature_scale_check(X, y, groups, args.folds, args.seed)
        return

    rows = []
    for fold, (train, test) in enumerate(GroupKFold(args.folds).split(X, y, groups)):
        with seeded(args.seed):
            random = build_encoder("covariance", n_chans=X.shape[1], n_times=X.shape[2],
                                   n_outputs=760, sfreq=sfreq)  # fmt: skip
        pretrained = copy.deepcopy(random)
        with seeded(args.seed):
            method = build_method("spectral_prediction", pretrained, random_state=args.seed)
        data = torch.utils.data.TensorDataset(
            torch.from_numpy(X[train]), torch.from_numpy(y[train])
        )
        pretrain(method, data, epochs=args.epochs, batch_size=128, lr=1e-3, weight_decay=1e-4,
                 monitor_every=0, random_state=args.seed, verbose=False)  # fmt: skip
        pretrained.eval()
        hz = sfreq / 2  # braindecode stores band centres and widths over the Nyquist frequency
        f0, b0 = (hz * random.filter.f_mean.detach().numpy(),
                  hz * random.filter.bandwidth.detach().numpy())  # fmt: skip
        f1, b1 = (hz * pretrained.filter.f_mean.detach().numpy(),
                  hz * pretrained.filter.bandwidth.detach().numpy())  # fmt: skip
        spatial = float((pretrained.spatial - random.spatial).norm() / random.spatial.norm())
        print(f"fold {fold}: band centres {np.round(f0, 2)} -> {np.round(f1, 2)} Hz, widths "
              f"{np.round(b0, 2)} -> {np.round(b1, 2)} Hz; spatial filters moved by "
              f"{spatial:.3f} of their norm")  # fmt: skip
        variants = {"random weights": random, "pretrained": pretrained}
        for part, params in PARTS.items():
            swapped = copy.deepcopy(random)
            for dst, src in zip(params(swapped), params(pretrained)):
                dst.data.copy_(src.data)
            variants[f"random + pretrained {part}"] = swapped
        swapped = copy.deepcopy(random)
        swapped.batch_layer.load_state_dict(pretrained.batch_layer.state_dict())
        variants["random + pretrained batch-norm statistics"] = swapped
        variants["pretrained, batch-norm re-estimated on clean windows"] = refit_batchnorm(
            copy.deepcopy(pretrained), X[train]
        )
        swapped = copy.deepcopy(pretrained)
        swapped.batch_layer.reset_running_stats()  # mean 0, variance 1: as at initialisation
        variants["pretrained, batch-norm statistics reset (identity)"] = swapped
        variants["random, batch-norm estimated on clean windows"] = refit_batchnorm(
            copy.deepcopy(random), X[train]
        )
        for name, encoder in variants.items():
            Z = embed(encoder, X)
            task = probe(Z, y, groups, train, test)
            subject = subject_probe(Z, groups, first_half) if name in (
                "random weights", "pretrained") else float("nan")  # fmt: skip
            rows.append((fold, name, task, subject))
            print(
                f"fold {fold}: {name}: task {task:.3f}"
                + (f", subject identity {subject:.3f}" if subject == subject else ""),
                flush=True,
            )
    print(
        "\nmean over folds (held-out subjects' rest vs arithmetic; subject identity, chance "
        f"{1 / len(np.unique(groups)):.3f}):"
    )
    for name in dict.fromkeys(r[1] for r in rows):
        task = [r[2] for r in rows if r[1] == name]
        subj = [r[3] for r in rows if r[1] == name]
        print(
            f"  {name}: task {np.mean(task):.3f} +- {np.std(task) / np.sqrt(len(task)):.3f}"
            + (f", subject identity {np.nanmean(subj):.3f}" if not np.isnan(subj).all() else "")
        )


if __name__ == "__main__":
    main()
