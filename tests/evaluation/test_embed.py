"""eeg_ssl.evaluation.embed: embeddings of prepared folders / recordings, resumable."""

import numpy as np
import pandas as pd
import pytest

from eeg_ssl.evaluation.embed import COLUMNS, embed, embed_folder, read_embeddings


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, sample_dir):
    """A prepared folder of 3 sample recordings and a 1-epoch SimCLR checkpoint."""
    from eeg_ssl.workflow import run_prepare, run_pretrain

    root = tmp_path_factory.mktemp("tiny_run")
    recipe = {"sfreq": 64.0, "h_freq": 30.0, "label_source": "annotations"}
    run_prepare({"inputs": [str(sample_dir / "sub-0[123]_*.edf")], "subject_pattern":
                 "sub-([^_]+)", "recipe": recipe}, root / "prepared", verbose=False)  # fmt: skip
    cfg = {"epochs": 1, "batch_size": 64, "encoder_kwargs": {"n_outputs": 16, "n_filters": 8,
           "n_blocks": 2}}  # fmt: skip
    checkpoint = run_pretrain(cfg, root / "prepared", root / "run", verbose=False)
    return root / "prepared", checkpoint


def test_embed_folder__hdf5_with_manifest_columns(tiny_run, tmp_path):
    prepared, checkpoint = tiny_run
    out = embed_folder(prepared, checkpoint, tmp_path / "emb.h5", verbose=False)
    Z, table = read_embeddings(out)
    manifest = pd.read_csv(
        prepared / "manifest.csv", dtype={"subject": str}, keep_default_na=False
    )
    assert Z.shape == (len(manifest), 16) and Z.dtype == np.float32
    assert set(COLUMNS) <= set(table.columns)
    pd.testing.assert_series_equal(table["subject"], manifest["subject"], check_names=False)
    pd.testing.assert_series_equal(table["label"], manifest["label"], check_names=False)
    np.testing.assert_allclose(table["start_seconds"], manifest["start_seconds"])


def test_embed_folder__rerun_skips_finished_recordings(tiny_run, tmp_path, monkeypatch):
    import eeg_ssl.evaluation.embedding as embedding

    prepared, checkpoint = tiny_run
    first = read_embeddings(embed_folder(prepared, checkpoint, tmp_path / "e.h5", verbose=False))
    calls, original = [], embedding.embed_windows
    monkeypatch.setattr(embedding, "embed_windows",
                        lambda *a, **k: calls.append(1) or original(*a, **k))  # fmt: skip
    (tmp_path / "e.h5").unlink()  # as if killed after the parts, before the gathered file
    again = read_embeddings(embed_folder(prepared, checkpoint, tmp_path / "e.h5", verbose=False))
    assert calls == []  # every recording's part read back, none embedded again
    np.testing.assert_array_equal(first[0], again[0])
    next(iter((tmp_path / ".e.h5.parts").glob("*/*.npz"))).unlink()  # one part lost
    embed_folder(prepared, checkpoint, tmp_path / "e.h5", verbose=False)
    assert calls == [1]  # only that recording embedded again


def test_embed__recordings_prepared_with_the_checkpoint_recipe(tiny_run, tmp_path, sample_dir):
    _, checkpoint = tiny_run
    out = embed([str(sample_dir / "sub-04_*.edf")], checkpoint, tmp_path / "r.h5", verbose=False)
    Z, table = read_embeddings(out)
    assert set(table["subject"]) == {"sub-04_task-sim_eeg"} and len(Z) == 50


def test_embed_folder__bad_output_format_is_named(tiny_run, tmp_path):
    prepared, checkpoint = tiny_run
    with pytest.raises(ValueError, match="output format"):
        embed_folder(prepared, checkpoint, tmp_path / "emb.csv")


def test_embed_folder__parquet_when_pyarrow_is_installed(tiny_run, tmp_path):
    pytest.importorskip("pyarrow")
    prepared, checkpoint = tiny_run
    Z, table = read_embeddings(embed_folder(prepared, checkpoint, tmp_path / "e.parquet"))
    h5 = read_embeddings(embed_folder(prepared, checkpoint, tmp_path / "e.h5"))
    np.testing.assert_array_equal(Z, h5[0])
    assert list(table["subject"]) == list(h5[1]["subject"])


def test_embed_folder__refuses_a_folder_at_another_rate(tiny_run, tmp_path, sample_dir):
    from eeg_ssl.workflow import run_prepare

    _, checkpoint = tiny_run
    other = tmp_path / "prepared32"
    run_prepare({"inputs": [str(sample_dir / "sub-01_*.edf")], "subject_pattern": "sub-([^_]+)",
                 "recipe": {"sfreq": 32.0, "h_freq": 15.0}}, other, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="prepared32") as err:
        embed_folder(other, checkpoint, tmp_path / "emb.h5", verbose=False)
    assert "32" in str(err.value) and "64" in str(err.value)
    assert not (tmp_path / "emb.h5").exists()
