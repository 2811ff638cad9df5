"""eeg_ssl.plotting: the pictures of a run (curves, reconstruction, views, map)."""

import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from eeg_ssl.plotting import CURVES, plot_curves, plot_run  # noqa: E402


def test_plot_curves__from_history_csv(tmp_path):
    history = pd.DataFrame({"epoch": [0, 1, 2], "loss": [3.0, 2.0, 1.5],
                            "embedding_std": [0.1, 0.2, 0.2],
                            "effective_rank": [float("nan")] * 3})  # fmt: skip
    path = plot_curves(history, tmp_path / "curves.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert "embedding spread" in CURVES["embedding_std"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, sample_dir):
    from eeg_ssl.workflow import run_prepare

    root = tmp_path_factory.mktemp("plot") / "prepared"
    recipe = {"sfreq": 64.0, "h_freq": 30.0, "label_source": "annotations"}
    run_prepare({"inputs": [str(sample_dir / "sub-0[12]_*.edf")], "subject_pattern":
                 "sub-([^_]+)", "recipe": recipe}, root, verbose=False)  # fmt: skip
    return root


@pytest.mark.parametrize(
    "method, encoder, expected",
    [("simclr", {"encoder": "conv"}, {"views.png"}),
     ("autoencoder", {"encoder": "conv"}, {"reconstruction.png"}),
     ("mae", {"encoder": "patch_transformer"}, {"reconstruction.png"})],
)  # fmt: skip
def test_plot_run__pictures_beside_the_run(prepared, tmp_path, method, encoder, expected):
    from eeg_ssl.workflow import run_pretrain

    cfg = dict(encoder, method=method, epochs=1, batch_size=50)
    run_pretrain(cfg, prepared, tmp_path / "run", verbose=False)
    paths = plot_run(tmp_path / "run")
    names = {p.name for p in paths}
    assert {"curves.png", "embedding_map.png"} | expected <= names
    assert all(p.parent == tmp_path / "run" and p.stat().st_size > 0 for p in paths)


def test_plot_run__names_a_folder_without_history(tmp_path):
    with pytest.raises(FileNotFoundError, match="history.csv"):
        plot_run(tmp_path)
