"""Every method learns something real.

Each method pretrains (without labels) on the windows of 6 simulated subjects whose
classes ("rest"/"task") differ in alpha/mu/beta power; a linear probe of its frozen
encoder, fit on those 6 subjects' labels, is scored (balanced accuracy) on 3 held-out
subjects. It must beat the same encoder, from the same initialisation
(``eeg_ssl.utils.seeded``), with random weights by ``MARGIN``.

The regime follows the sample pipeline at a smaller scale: 2 s windows of 8 channels,
high-passed at 1 Hz, a 64-d embedding, about 220 optimiser steps of batch 64. The
data are continuous recordings (``simulate_raw``, 8 s class blocks) because relative
positioning and temporal shuffling need each window's time within its recording.

Settings here describe the data, never the held-out scores: the temporal contexts
of relative positioning / temporal shuffling are set from the 8 s block length, and
the pair/triplet datasets draw 8 pairs per window (drawn once, so more pairs rather
than more epochs). Method defaults were chosen on a subject-wise split of other
simulated subjects (see docs/methods/).

The full parametrization over ``METHODS`` is ``slow`` (a few minutes on 2 cores);
SimCLR and a deliberately broken method run by default.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from eeg_ssl.data.samplers import RecordingWindows
from eeg_ssl.evaluation import heldout_subject_scores, linear_probe, summarise
from eeg_ssl.methods import METHODS, SimCLR
from eeg_ssl.models import build_encoder
from eeg_ssl.simulation import simulate_raw
from eeg_ssl.training import pretrain
from eeg_ssl.utils import seeded

SFREQ, N_TIMES, BLOCK, DURATION = 64.0, 128, 8.0, 240.0  # Hz, samples (2 s), s, s
TRAIN_SUBJECTS, TEST_SUBJECTS = range(6), range(6, 9)
N_OUTPUTS, EPOCHS, BATCH_SIZE, LR = 64, 20, 64, 1e-3
MARGIN = 0.02  # balanced-accuracy points the trained encoder must gain over random weights
#: Encoder of each kind (registry key -> kwargs); a method uses "conv" unless it
#: declares other ``compatible_encoders``.
ENCODERS = {
    "conv": dict(n_filters=16, n_blocks=4),
    "patch_transformer": dict(patch_size=8, embed_dim=64, depth=2, n_heads=4),
}
#: Pretext tasks on pairs/triplets: contexts from the 8 s blocks, 8 draws per window,
#: 2 epochs (about as many steps as the other methods' 20 epochs).
PAIRS_PER_WINDOW, PAIR_EPOCHS = 8, 2
METHOD_KWARGS = {
    "relative_positioning": dict(tau_pos=BLOCK / 2, tau_neg=2 * BLOCK),
    "temporal_shuffling": dict(tau_pos=0.75 * BLOCK, tau_neg=2 * BLOCK),
}
PAIR_ARGUMENT = {"relative_positioning": "n_pairs", "temporal_shuffling": "n_triplets"}
FAST = ["simclr"]


def _recordings(subjects):
    """Non-overlapping 2 s windows of whole class blocks: X (n, 8, 128) uV, y, subject, start."""
    X, y, groups, starts = [], [], [], []
    for subject in subjects:
        raw = simulate_raw(subject, duration=DURATION, sfreq=SFREQ, block_seconds=BLOCK,
                           random_state=subject)  # fmt: skip
        raw.filter(1.0, None, verbose="error")  # as the sample recipe (l_freq=1 Hz)
        data = raw.get_data(units="uV").astype(np.float32)
        for start in range(0, data.shape[1] - N_TIMES + 1, N_TIMES):
            block = int(start / SFREQ // BLOCK)
            if (start + N_TIMES) / SFREQ > (block + 1) * BLOCK:
                continue  # windows straddling two blocks have no single label
            X.append(data[:, start : start + N_TIMES])
            y.append(int(raw.annotations.description[block] == "task"))
            groups.append(subject)
            starts.append(start / SFREQ)
    return np.stack(X), np.array(y), np.array(groups), np.array(starts)


@pytest.fixture(scope="module")
def data():
    return _recordings(TRAIN_SUBJECTS), _recordings(TEST_SUBJECTS)


def _encoder_kind(method_cls):
    allowed = method_cls.compatible_encoders
    return "conv" if allowed is None or "conv" in allowed else allowed[0]


def _encoder(kind):
    with seeded(0):  # same initialisation for the trained and the random-weights encoder
        return build_encoder(kind, n_chans=8, n_times=N_TIMES, n_outputs=N_OUTPUTS, sfreq=SFREQ,
                             **ENCODERS[kind])  # fmt: skip


def _probe_scores(method_cls, data):
    """Held-out balanced accuracy of the pretrained encoder and of its random initialisation."""
    (X, y, groups, starts), (X_test, y_test, groups_test, _) = data
    name = method_cls.name
    kwargs = dict(METHOD_KWARGS.get(name, {}))
    epochs = EPOCHS
    if name in PAIR_ARGUMENT:
        kwargs[PAIR_ARGUMENT[name]] = PAIRS_PER_WINDOW * len(X)
        epochs = PAIR_EPOCHS
    if "random_state" in inspect.signature(method_cls).parameters:
        kwargs["random_state"] = 0
    kind = _encoder_kind(method_cls)
    with seeded(1):
        method = method_cls(_encoder(kind), **kwargs)
    # pretraining sees the training subjects only, without labels
    pretrain(method, RecordingWindows(X, groups, starts), epochs=epochs, batch_size=BATCH_SIZE,
             lr=LR, monitor_every=0, random_state=0, verbose=False)  # fmt: skip

    def score(encoder):
        probe = linear_probe(encoder)
        return summarise(heldout_subject_scores(probe, X, y, X_test, y_test, groups_test))[0]

    return score(method.encoder), score(_encoder(kind))


def _check(method_cls, data):
    trained, random = _probe_scores(method_cls, data)
    # shown with ``pytest -s`` (or in the report of a failure)
    print(f"{method_cls.name}: trained {trained:.3f} vs random weights {random:.3f}")
    assert trained > random + MARGIN, (
        f"{method_cls.name}: held-out balanced accuracy {trained:.3f} after pretraining vs "
        f"{random:.3f} with random weights (needs a gain > {MARGIN})"
    )
    return trained, random


class _DetachedSimCLR(SimCLR):
    """SimCLR whose loss never reaches the encoder: a broken method."""

    def forward(self, X):
        view_a, view_b = self.views(X)
        z_a = self.projection_head(self.encoder(view_a).detach())
        z_b = self.projection_head(self.encoder(view_b).detach())
        return self.criterion(z_a, z_b)


def test_check__fails_for_broken_method(data):
    with pytest.raises(AssertionError, match="after pretraining"):
        _check(_DetachedSimCLR, data)


@pytest.mark.parametrize("name", FAST)
def test_method__beats_random_weights_fast(name, data):
    _check(METHODS[name], data)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(METHODS) - set(FAST)))
def test_method__beats_random_weights(name, data):
    _check(METHODS[name], data)
