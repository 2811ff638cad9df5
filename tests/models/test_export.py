"""to_braindecode: a checkpoint becomes an EEGClassifier module with a fresh head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from eeg_ssl.methods import SimCLR
from eeg_ssl.models import PretrainedEEGModel, build_encoder, to_braindecode
from eeg_ssl.training import save_checkpoint
from eeg_ssl.training.checkpoint import make_facts
from eeg_ssl.utils import seeded

NAMES = [f"E{i}" for i in range(8)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def checkpoint(tmp_path):
    with seeded(0):
        encoder = build_encoder("conv", n_chans=8, n_times=256, n_outputs=16, n_filters=4,
                                n_blocks=2, sfreq=128.0)  # fmt: skip
    facts = make_facts(ch_names=NAMES, sfreq=128.0, units="uV", n_times=256, median_abs=10.0)
    return save_checkpoint(tmp_path / "c.pt", SimCLR(encoder, random_state=0), recording=facts)


def _classifier(module, **kwargs):
    from braindecode import EEGClassifier

    return EEGClassifier(module, max_epochs=2, batch_size=8, lr=1e-3, train_split=None,
                         optimizer=torch.optim.AdamW, verbose=0, **kwargs)  # fmt: skip


def _saved_state(path):
    return torch.load(path, weights_only=True)["encoder_state"]


def test_to_braindecode__fits_in_eeg_classifier_from_checkpoint_weights(checkpoint, sim_windows):
    X, y, _ = sim_windows
    model = to_braindecode(checkpoint, n_outputs=2)
    assert model.n_outputs == 2 and model.embedding_size == 16  # classes vs embedding size
    assert (model.n_chans, model.n_times, model.sfreq) == (8, 256, 128.0)
    saved = _saved_state(checkpoint)
    for key, value in model.encoder.state_dict().items():
        torch.testing.assert_close(value, saved[key])  # the encoder came from the checkpoint
    head = model.final_layer.weight.detach().clone()
    clf = _classifier(model).fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert not torch.equal(clf.module_.final_layer.weight, head)  # the head trained
    assert len(clf.history) == 2


def test_pretrained_model__class_in_eeg_classifier_infers_n_outputs(checkpoint, sim_windows):
    X, y, _ = sim_windows
    y3 = np.arange(len(y)) % 3
    clf = _classifier(PretrainedEEGModel, module__pretrained=str(checkpoint),
                      module__freeze_encoder=True).fit(X, y3)  # fmt: skip
    assert clf.module_.n_outputs == 3 and set(clf.predict(X)) <= {0, 1, 2}
    saved = _saved_state(checkpoint)
    for key, value in clf.module_.encoder.state_dict().items():
        torch.testing.assert_close(value, saved[key])  # frozen: weights and BN statistics kept


def test_pretrained_model__saved_folder_and_bad_input(checkpoint, tmp_path):
    from eeg_ssl.training import encoder_from_checkpoint

    folder = encoder_from_checkpoint(checkpoint).save_pretrained(tmp_path / "enc")
    model = to_braindecode(folder, n_outputs=4)
    assert model.recording_facts["ch_names"] == NAMES and model.final_layer.out_features == 4
    with pytest.raises(ValueError, match=r"'n_chans'=4 does not match the pretrained encoder"):
        PretrainedEEGModel(n_chans=4, n_outputs=2, pretrained=checkpoint)
    with pytest.raises(ValueError, match=r"'sfreq'=256 Hz does not match.*128 Hz"):
        PretrainedEEGModel(n_outputs=2, pretrained=checkpoint, sfreq=256.0)
    with pytest.raises(ValueError, match="'n_outputs' must be the number of classes"):
        to_braindecode(checkpoint, n_outputs=0)
    with pytest.raises(ValueError, match="needs 'pretrained'"):
        PretrainedEEGModel(n_outputs=2)
    import mne

    chs = mne.create_info(NAMES[::-1], 128.0, "eeg")["chs"]
    with pytest.raises(ValueError, match="not those the encoder was trained on, in order"):
        to_braindecode(checkpoint, n_outputs=2, chs_info=chs)
