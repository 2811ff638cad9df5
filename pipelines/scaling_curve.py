"""Scaling curve (issue 18, point 6): the SSL gain against hours of unlabelled pretraining.

For each task of the suite's SELECTION group (eegmat rest vs arithmetic, eegmmidb eyes
open vs closed; the evaluation group is never touched), the channel-agnostic ``tokens``
encoder is pretrained on nested random subsets of the unlabelled corpus (prepared
folders under ``runs/corpus``) that LEAVE OUT the task's own dataset (eegmat: eegmmidb,
ssvep-exo, muse-cueing, bonn; eegmmidb eyes: eegmat, ssvep-exo, muse-cueing, bonn).
Each pretrained encoder and the same encoder with random weights are probed on the
suite's folds with the suite's code (:func:`eeg_ssl.evaluation.tasks.run_task`, its
fold/probe/seed protocol from ``pipelines/benchmarks/suite.yaml``), and the SSL gain
(pretrained minus random weights, paired per held-out subject: mean, standard error,
wins) is read by :func:`eeg_ssl.evaluation.tables.gain_table` at 10 % and 100 % labels.
Writes ``scaling.csv`` and ``scaling.png`` under ``--out`` and the PNG to ``--png``.

A script rather than a suite option: it is a study over one recipe (sizes x tasks), not
a row of the suite's table, and it reuses the suite's functions as they are.

Choices for the measured run (written before it ran, 2026-12-07, 2 shared CPU cores,
must finish in ~25 min):

- method ``spectral_prediction`` (measured ~68 windows/s on one core vs SimCLR ~30), the
  ``tokens`` encoder with its default parameters (128-d, patches of 64 samples, 2 layers),
  batch 64, lr 1e-3, weight decay 1e-4, seed 0 (subsets, weights, training).
- windows: the corpus's 4-s windows cropped to their first 2 s at 128 Hz (the length of
  the suite's task windows; :class:`eeg_ssl.data.CorpusDataset` crops), so the hours
  reported are hours of EEG the encoder saw: windows x 2 s (all of the corpus without
  eegmat: 4712 windows, 2.62 h; without eegmmidb: 5356 windows, 2.98 h).
- sizes: 0.1, 0.2, 0.5 and 1 h and all of it; nested (prefixes of one random
  permutation).
- compute held fixed across sizes: every size is trained on as many window draws,
  1.5 x the largest size (``--passes 1.5``; a small subset is repeated), so the curve
  measures the amount of data, not the number of steps. That is ~110 steps of 64 for
  eegmat (7068 draws) and ~126 for eegmmidb eyes (8034): little training, chosen to fit
  the time (~1250 s of pretraining at the measured ~62 windows/s); small subsets are
  seen many times (0.1 h: ~39 times).
- probes: linear, label fractions 10 % and 100 %, the suite's seeds [0, 1, 2], its
  n_splits (eegmat 4, eegmmidb eyes 5) and seed 0, on runs/prepared/suite/<task>.

Run from the repository root (the real run; ``--quick``: a smoke run in seconds):

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python pipelines/scaling_curve.py --threads 1

Rerun 2 (written before it ran, 2026-12-07, thirteenth session). The first run's
pretraining views were not seeded (``build_method`` got no ``random_state``; fixed in
the twelfth session), so its curve was one unrepeatable draw per size. The rerun keeps
every choice above and adds one: two pretraining seeds per size (``--pretrain-seeds 2``:
seeds 0 and 1 for weights, views and order; the subsets stay seed 0's), each against
the random-weights encoder of its own seed, averaged within each subject. Selection
group only, run once; it replaces the first run's figure, which stays in the notebook:

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python pipelines/scaling_curve.py --threads 1 \
        --pretrain-seeds 2 --out runs/benchmarks/scaling-2
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from eeg_ssl.data import CorpusDataset
from eeg_ssl.evaluation.benchmark_runner import load_labelled
from eeg_ssl.evaluation.cross_dataset import (
    CORPUS_ENCODER,
    ChannelMappedEmbedding,
    folder_window,
)
from eeg_ssl.evaluation.suite import load_suite_config
from eeg_ssl.evaluation.tables import gain_table
from eeg_ssl.evaluation.tasks import run_task
from eeg_ssl.io.manifest import atomic_write_text
from eeg_ssl.methods import build_method
from eeg_ssl.models import build_encoder
from eeg_ssl.training import pretrain
from eeg_ssl.utils import seeded, set_log_level

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "pipelines" / "benchmarks" / "suite.yaml"
#: selection-group task -> the corpus dataset it is recorded in (left out of pretraining)
TASKS = {"eegmat": "eegmat", "eegmmidb-eyes": "eegmmidb"}
CORPUS = ["eegmat", "eegmmidb", "ssvep-exo", "muse-cueing", "bonn"]
FRACTIONS = [0.1, 1.0]
QUICK_ENCODER = {"n_outputs": 16, "embed_dim": 16, "depth": 1, "n_heads": 2}
logger = logging.getLogger("eeg_ssl")


def nested_subsets(n_windows, sizes, *, random_state=0):
    """Nested random subsets: prefixes of one permutation of ``range(n_windows)``.

    ``sizes`` are window counts (``None``: all); each subset is sorted.
    """
    order = np.random.default_rng(random_state).permutation(n_windows)
    return [np.sort(order[: n_windows if s is None else min(int(s), n_windows)]) for s in sizes]


def corpus_without(task, corpus_dir):
    """``{name: folder}`` of the corpus datasets under ``corpus_dir``, ``task``'s own left out."""
    return {n: str(Path(corpus_dir) / n) for n in CORPUS
            if n != TASKS[task] and (Path(corpus_dir) / n).is_dir()}  # fmt: skip


def task_curve(task, task_folder, corpus_folders, *, hours, method="spectral_prediction",
               encoder_params=None, pretrain_params=None, n_splits=4, fractions=FRACTIONS,
               seeds=(0, 1, 2), window_seconds=2.0, passes=1.0, random_state=0,
               pretrain_seeds=1, verbose=None):  # fmt: skip
    """The SSL gain of one task at each pretraining size; a :func:`gain_table` frame.

    Parameters
    ----------
    task : str
    task_folder : str | Path
        The task's labelled prepared folder.
    corpus_folders : dict
        ``{name: folder}`` of the unlabelled corpus, the task's own dataset left out.
    hours : list of float | None
        Pretraining sizes in hours of windows served (``None``: all).
    window_seconds : float
        Length of the pretraining windows (corpus windows are cropped to it).
    passes : float
        Window draws per size, as a multiple of the largest size (the same for every
        size: small subsets are repeated).
    pretrain_seeds : int
        Pretrainings per size, with seeds ``random_state + k`` (weights, views, order;
        the subsets stay those of ``random_state``), each against the same encoder
        with random weights of that seed; the scores of the seeds are averaged within
        each subject before the pairing, so one row per size reports their mean gain.

    Returns
    -------
    gains : DataFrame
        One row per size and label fraction, with ``windows``, ``hours`` and
        ``pretrain_seconds`` added.
    """
    sfreq, task_n_times, window_names = folder_window(task_folder)
    n_times = min(task_n_times, int(round(window_seconds * sfreq)))
    # one channel list: the union of the corpus's channels and the task's
    ch_names = list(CorpusDataset({**corpus_folders, task: task_folder}, sfreq=sfreq,
                                  balance=None).ch_names)  # fmt: skip
    corpus = CorpusDataset(corpus_folders, sfreq=sfreq, n_times=n_times, channels=ch_names,
                           balance=None, random_state=random_state)  # fmt: skip
    seconds = n_times / sfreq
    sizes = [None if h is None else max(1, int(round(h * 3600 / seconds))) for h in hours]
    subsets = nested_subsets(len(corpus), sizes, random_state=random_state)
    draws = int(round(passes * max(len(s) for s in subsets)))  # the same for every size
    params = dict(pretrain_params or {})

    def build(seed):
        with seeded(seed):
            return build_encoder(CORPUS_ENCODER, n_chans=len(ch_names), n_times=n_times,
                                 sfreq=sfreq, ch_names=ch_names,
                                 **dict(encoder_params or {}))  # fmt: skip

    # model "<name>#k" is pretraining seed k; the "#k" is dropped before the gains
    frozen, facts = {}, {}
    for k in range(int(pretrain_seeds)):
        seed = random_state + k
        frozen[f"random_weights[{CORPUS_ENCODER}]#{k}"] = (
            "baseline",
            ChannelMappedEmbedding(build(seed), ch_names, window_names, crop=n_times),
        )
        for subset in subsets:
            name = f"{method}[{len(subset) * seconds / 3600:.3g} h]"
            # a small subset repeated up to `draws` windows: one epoch of `draws` draws
            dataset = torch.utils.data.Subset(corpus, np.resize(subset, draws).tolist())
            encoder = build(seed)
            with seeded(seed):
                ssl = build_method(method, encoder, random_state=seed)
            start = time.perf_counter()
            logger.info("%s: pretraining %s on %d windows (%d draws) of %s, seed %d", task,
                        method, len(subset), draws, sorted(corpus_folders), seed)  # fmt: skip
            pretrain(ssl, dataset, epochs=1, batch_size=min(params.get("batch_size", 64), draws),
                     lr=params.get("lr", 1e-3), weight_decay=params.get("weight_decay", 1e-4),
                     random_state=seed, verbose=verbose)  # fmt: skip
            spent = time.perf_counter() - start
            facts.setdefault(name, dict(windows=len(subset), hours=len(subset) * seconds / 3600,
                                        draws=draws, pretrain_seconds=0.0,
                                        pretrain_seeds=int(pretrain_seeds)))  # fmt: skip
            facts[name]["pretrain_seconds"] += spent / int(pretrain_seeds)
            logger.info("%s: %s pretrained in %.0f s", task, name, spent)
            frozen[f"{name}#{k}"] = ("ssl", ChannelMappedEmbedding(encoder, ch_names, window_names,
                                                                   crop=n_times))  # fmt: skip
    X, y, groups, classes, sfreq_task = load_labelled(task_folder)
    scores, _ = run_task(X, y, groups, sfreq=sfreq_task, n_splits=n_splits, methods={},
                         baselines=("band_power",), fractions=fractions, seeds=seeds, frozen=frozen,
                         class_names=classes, random_state=random_state, name=task,
                         verbose=verbose)  # fmt: skip
    scores = scores.assign(model=scores["model"].str.replace(r"#\d+$", "", regex=True))
    gains = gain_table(scores, task=task, metric="subject")
    extra = pd.DataFrame([facts[m] for m in gains["model"]], index=gains.index)
    return pd.concat([gains, extra], axis=1)


def plot_curve(table, path):
    """SSL gain ± standard error against hours (log x), one line per task and fraction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from eeg_ssl.plotting import save_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for (task, fraction), part in table.groupby(["task", "fraction"]):
        part = part.sort_values("hours")
        ax.errorbar(part["hours"], part["gain_diff"], yerr=part["gain_se"], marker="o",
                    capsize=3, label=f"{task}, {fraction:.0%} labels")  # fmt: skip
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("hours of unlabelled pretraining EEG (other datasets only)")
    ax.set_ylabel("SSL gain (balanced accuracy)")
    seeds = int(table["pretrain_seeds"].max()) if "pretrain_seeds" in table else 1
    mean_of = f"; mean of {seeds} pretraining seeds" if seeds > 1 else ""
    ax.set_title(f"Pretrained minus random weights, paired per subject (± s.e.{mean_of})",
                 fontsize=10)  # fmt: skip
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=110)  # atomic


def _hours(value):
    if value == "all":
        return None
    hours = float(value)
    if hours <= 0:
        raise argparse.ArgumentTypeError(f"hours must be > 0 or 'all'; got {value!r}")
    return hours


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus",
        default=str(ROOT / "runs" / "corpus"),
        help="folder of the corpus's prepared folders (one per dataset)",
    )
    parser.add_argument(
        "--prepared",
        default=str(ROOT / "runs" / "prepared" / "suite"),
        help="folder of the suite's prepared task folders",
    )
    parser.add_argument(
        "--hours",
        nargs="+",
        type=_hours,
        default=[0.1, 0.2, 0.5, 1.0, None],
        help="pretraining sizes in hours, 'all' for everything",
    )
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--method", default="spectral_prediction")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--passes",
        type=float,
        default=1.5,
        help="window draws per size, as a multiple of the largest size",
    )
    parser.add_argument("--out", default=str(ROOT / "runs" / "benchmarks" / "scaling"))
    parser.add_argument("--png", default=str(ROOT / "docs" / "images" / "scaling-curve.png"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--pretrain-seeds",
        type=int,
        default=1,
        help="pretrainings per size (seeds 0..N-1), averaged within each subject",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: tiny encoder, 2 folds, one probe seed"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    set_log_level("info")
    suite = load_suite_config(SUITE)
    seed = int(suite.get("seed", 0))
    start = time.perf_counter()
    tables = []
    for task in args.tasks:
        task_folder = Path(args.prepared) / task
        corpus = corpus_without(task, args.corpus)
        if not task_folder.is_dir() or not corpus:
            raise FileNotFoundError(
                f"Task folder {str(task_folder)!r} or corpus folders {CORPUS} under "
                f"{args.corpus!r} not found; prepare them (pipelines/corpus/*.yaml, "
                f"eeg-ssl benchmark {SUITE.name}) or pass --prepared / --corpus.")  # fmt: skip
        spec = suite["tasks"][task]
        tables.append(task_curve(
            task, task_folder, corpus, hours=args.hours, method=args.method,
            encoder_params=QUICK_ENCODER if args.quick else None,
            pretrain_params={"batch_size": args.batch_size},
            n_splits=2 if args.quick else spec.get("n_splits", suite.get("n_splits", 4)),
            seeds=[0] if args.quick else suite.get("seeds", [0, 1, 2]), passes=args.passes,
            random_state=seed, pretrain_seeds=args.pretrain_seeds, verbose=False))  # fmt: skip
        table = pd.concat(tables, ignore_index=True)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "scaling.csv", table.to_csv(index=False))  # after each task
    plot_curve(table, out / "scaling.png")
    plot_curve(table, args.png)
    columns = ["task", "fraction", "hours", "windows", "pretrained", "random_weights",
               "gain_diff", "gain_se", "gain_wins", "gain_n", "pretrain_seconds"]  # fmt: skip
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"Total wall time: {time.perf_counter() - start:.0f} s; written {out / 'scaling.csv'}, "
          f"{args.png}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
