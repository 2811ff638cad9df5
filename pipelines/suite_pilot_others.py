"""Pilot: leave-one-dataset-out rows on the suite's selection group.

docs/experiments/suite-notebook.md, run 2: a ``tokens`` encoder pretrained with SimCLR on
a random 1000 of the other datasets' windows, probed on the folds of the suite's run 1
(the suite's seed 0, its n_splits and fractions), compared with the same encoder with
random weights. Run from the repository root once every task is prepared in
runs/prepared/suite (a run of the suite with ``pretrain_on: [train, others]`` prepares
them all):

    OMP_NUM_THREADS=1 python pipelines/suite_pilot_others.py
"""

import time
from pathlib import Path

import pandas as pd
import torch

from eeg_ssl.evaluation.benchmark_runner import load_labelled
from eeg_ssl.evaluation.cross_dataset import corpus_encoders
from eeg_ssl.evaluation.tables import gain_table
from eeg_ssl.evaluation.tasks import run_task
from eeg_ssl.utils import set_log_level

PREPARED = Path("runs/prepared/suite")
DATASETS = ["eegmat", "eegmmidb-eyes", "eegmmidb-fists", "ssvep-exo", "muse-p300", "bonn",
            "muse-cueing"]  # fmt: skip
# task: (n_splits, fractions), as in pipelines/benchmarks/suite.yaml
TASKS = {"eegmat": (4, [0.01, 0.1, 1.0]), "eegmmidb-eyes": (5, [0.1, 1.0])}
PRETRAIN = {"epochs": 10, "batch_size": 128, "lr": 1e-3, "weight_decay": 1e-4}


def main():
    torch.set_num_threads(1)
    set_log_level("info")
    folders = {name: PREPARED / name for name in DATASETS}
    tables = []
    for task, (n_splits, fractions) in TASKS.items():
        start = time.perf_counter()
        encoders, notes = corpus_encoders(folders, task, sources=["others"], method="simclr",
                                          pretrain_params=PRETRAIN, max_windows=1000,
                                          random_state=0, verbose=False)  # fmt: skip
        X, y, groups, _, sfreq = load_labelled(folders[task])
        frozen = {name: ("baseline" if name.startswith("random") else "ssl", encoder)
                  for name, encoder in encoders.items()}  # fmt: skip
        scores, _ = run_task(X, y, groups, sfreq=sfreq, n_splits=n_splits, methods={},
                             baselines=("band_power",), fractions=fractions, seeds=(0, 1, 2),
                             frozen=frozen, random_state=0, name=task, verbose=True)  # fmt: skip
        gains = gain_table(scores, task=task, metric="subject")
        print(f"{task}: {time.perf_counter() - start:.0f} s; {notes}")
        print(gains[["task", "fraction", "model", "pretrained", "random_weights", "gain_diff",
                     "gain_se", "gain_wins", "gain_n"]].to_string())  # fmt: skip
        tables.append(gains)
    pd.concat(tables).to_csv("runs/benchmarks/suite-pilot-others.csv", index=False)


if __name__ == "__main__":
    main()
