"""Save and load encoders as folders (safetensors + config.json), locally or on the Hub.

A folder holds ``model.safetensors`` (the encoder's weights) and ``config.json``: the
encoder's registry name and keyword arguments, the recording facts of its training
data (channels, sampling rate, units, window, recipe hash, amplitude scale; see
:func:`eeg_ssl.training.checkpoint.recording_facts`) and the library versions. A
Hugging Face repo id is downloaded with ``huggingface_hub.snapshot_download``.

braindecode's own ``save_pretrained`` (inherited from ``PyTorchModelHubMixin``)
stores only the constructor arguments; this format adds the recording facts, which the
estimators check their input against, and the registry name that rebuilds any eeg-ssl
encoder (a braindecode model inside :class:`~eeg_ssl.models.BraindecodeAdapter`
included).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
HUB_FORMAT = "eeg_ssl.encoder"
HUB_FORMAT_VERSION = 1
_INSTALL_HINT = "pip install 'eeg-ssl[hub]'"
_NOT_REPO_SUFFIXES = {".pt", ".pth", ".ckpt", ".safetensors", ".json", ".bin", ".yaml", ".h5"}


def _soft_import(name):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as err:
        raise ImportError(
            f"Saving and loading pretrained folders needs {name.split('.')[0]!r}: {_INSTALL_HINT}"
        ) from err


def is_repo_id(value):
    """Whether ``value`` reads as a Hugging Face repo id (``owner/name``, not a local path)."""
    if not isinstance(value, str) or Path(value).exists():
        return False
    if Path(value).suffix.lower() in _NOT_REPO_SUFFIXES:
        return False
    return re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", value) is not None


def save_pretrained(encoder, save_directory, *, recording=None, estimator=None):
    """Write an encoder as a folder: ``model.safetensors`` + ``config.json``.

    Parameters
    ----------
    encoder : torch.nn.Module
        A registered encoder (a key of :data:`eeg_ssl.models.ENCODERS`).
    save_directory : str | Path
        Folder to write (created); each file is replaced atomically.
    recording : dict | None
        Recording facts of the training data; default: those the encoder carries
        (its ``recording_facts``, set when loaded from a checkpoint or fitted).
    estimator : dict | None
        Parameters of the :class:`~eeg_ssl.evaluation.EmbeddingTransformer` that saved it.

    Returns
    -------
    save_directory : Path
    """
    from ..training.checkpoint import FACTS_ATTR, library_versions
    from . import encoder_name

    st = _soft_import("safetensors.torch")
    folder = Path(save_directory)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            f"'save_directory' must be a folder; {str(folder)!r} is a file. Choose a new path."
        )
    folder.mkdir(parents=True, exist_ok=True)
    kwargs = dict(encoder.get_config())
    if (
        kwargs.get("sfreq") is None
        and kwargs.get("input_window_seconds")
        and kwargs.get("n_times")
    ):
        kwargs["sfreq"] = float(encoder.sfreq)  # the rate the dropped window length implied
    for key in ("chs_info", "input_window_seconds"):  # chs_info: MNE dicts, not JSON
        kwargs.pop(key, None)
    recording = recording if recording is not None else getattr(encoder, FACTS_ATTR, None)
    config = {
        "format": HUB_FORMAT,
        "format_version": HUB_FORMAT_VERSION,
        "encoder": encoder_name(encoder),
        "encoder_kwargs": kwargs,
        "embedding_size": int(kwargs.get("n_outputs") or 0) or None,
        "recording": recording,
        "estimator": estimator,
        "versions": library_versions(),
    }
    text = json.dumps(config, indent=2, default=_jsonable)
    weights_tmp = folder / f".{WEIGHTS_NAME}.{os.getpid()}.tmp"
    config_tmp = folder / f".{CONFIG_NAME}.{os.getpid()}.tmp"
    try:
        st.save_model(encoder, str(weights_tmp))  # handles shared tensors
        config_tmp.write_text(text + "\n")
        os.replace(weights_tmp, folder / WEIGHTS_NAME)
        os.replace(config_tmp, folder / CONFIG_NAME)
    finally:
        weights_tmp.unlink(missing_ok=True)
        config_tmp.unlink(missing_ok=True)
    return folder


def _jsonable(value):
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def pretrained_folder(dir_or_repo_id, *, revision=None, cache_dir=None, token=None,
                      local_files_only=False):  # fmt: skip
    """The local folder of a saved encoder: the path itself, or a Hub download.

    Raises a clear error for a missing folder, a file given for a folder, and a repo id
    that cannot be downloaded (no network, ``HF_HUB_OFFLINE=1`` without a cached copy,
    unknown repo).
    """
    path = Path(dir_or_repo_id)
    if path.is_dir():
        return path
    if path.exists():
        raise NotADirectoryError(
            f"{str(path)!r} is a file; give the folder written by save_pretrained (an eeg-ssl "
            f"checkpoint file loads with eeg_ssl.training.encoder_from_checkpoint)."
        )
    if not is_repo_id(str(dir_or_repo_id)):
        raise FileNotFoundError(
            f"No folder {str(path)!r}: give a folder written by save_pretrained or a Hugging "
            f"Face repo id such as 'owner/name'."
        )
    hub = _soft_import("huggingface_hub")
    try:
        folder = hub.snapshot_download(str(dir_or_repo_id), revision=revision,
                                       cache_dir=cache_dir, token=token,
                                       local_files_only=local_files_only,
                                       allow_patterns=[CONFIG_NAME, WEIGHTS_NAME,
                                                       "README.md"])  # fmt: skip
    except Exception as err:  # network, offline mode, unknown repo: one clear message
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
        why = "HF_HUB_OFFLINE is set and no cached copy exists" if offline else (
            "no network, or no such repo")  # fmt: skip
        raise OSError(
            f"Could not download {str(dir_or_repo_id)!r} from the Hugging Face Hub ({why}; "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). No local "
            f"folder of that name exists either. Check the repo id and the network, or give "
            f"the path of a folder written by save_pretrained."
        ) from err
    return Path(folder)


def pretrained_config(dir_or_repo_id, **download):
    """``(config, folder)`` of a saved encoder; checks that it is an eeg-ssl folder."""
    folder = pretrained_folder(dir_or_repo_id, **download)
    path = folder / CONFIG_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {CONFIG_NAME} in {str(folder)!r}: it is not a folder written by save_pretrained."
        )
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{str(path)!r} is not valid JSON ({err}); save the model again."
        ) from err
    if not isinstance(config, dict) or config.get("format") != HUB_FORMAT:
        raise ValueError(
            f"{str(path)!r} is not an eeg-ssl encoder config (no 'format': {HUB_FORMAT!r}); "
            f"a braindecode model folder loads with its class's from_pretrained."
        )
    if config.get("format_version", 0) > HUB_FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} has format version {config['format_version']}, newer than this "
            f"eeg-ssl understands ({HUB_FORMAT_VERSION}); upgrade eeg-ssl."
        )
    return config, folder


def load_pretrained(dir_or_repo_id, *, weights=True, map_location="cpu", **download):
    """Rebuild the encoder of a saved folder (or Hub repo id), its recording facts attached.

    Parameters
    ----------
    dir_or_repo_id : str | Path
        Folder written by :func:`save_pretrained`, or a Hugging Face repo id.
    weights : bool
        Load the saved weights; ``False`` gives the same architecture freshly
        initialised (the random-weights baseline).
    map_location : str
        Device of the loaded weights.
    **download
        ``revision``, ``cache_dir``, ``token``, ``local_files_only`` of
        ``huggingface_hub.snapshot_download``.

    Returns
    -------
    encoder : torch.nn.Module
        With ``recording_facts`` (a dict, or ``None`` when none were saved).
    """
    from ..training.checkpoint import FACTS_ATTR
    from . import build_encoder

    config, folder = pretrained_config(dir_or_repo_id, **download)
    kwargs = dict(config["encoder_kwargs"])
    encoder = build_encoder(config["encoder"], **kwargs)
    if weights:
        st = _soft_import("safetensors.torch")
        st.load_model(encoder, str(folder / WEIGHTS_NAME), strict=True, device=map_location)
    setattr(encoder, FACTS_ATTR, config.get("recording"))
    return encoder


def export_checkpoint(checkpoint, save_directory):
    """Write the encoder of an eeg-ssl checkpoint as a :func:`save_pretrained` folder.

    The checkpoint's recording facts go along (``eeg-ssl export CHECKPOINT --out DIR``).

    Returns
    -------
    save_directory : Path
    """
    from ..training.checkpoint import encoder_from_checkpoint

    return save_pretrained(encoder_from_checkpoint(checkpoint), save_directory)


class PretrainedMixin:
    """``save_pretrained`` / ``from_pretrained`` in eeg-ssl's folder format.

    Put it before braindecode's ``EEGModuleMixin`` in an encoder's bases: it replaces
    the Hub mixin's methods of the same names (whose ``config.json`` holds only the
    constructor arguments), so ``push_to_hub`` uploads this format too.
    """

    def save_pretrained(self, save_directory, *, recording=None, push_to_hub=False,
                        repo_id=None, config=None, model_card_kwargs=None,
                        **push_to_hub_kwargs):  # fmt: skip
        """Save weights and config (with the recording facts) to a folder.

        Parameters
        ----------
        save_directory : str | Path
        recording : dict | None
            Recording facts; default: those the encoder carries.
        push_to_hub : bool
            Also upload the folder to ``repo_id`` (``huggingface_hub.upload_folder``).
        repo_id : str | None
        config, model_card_kwargs
            Accepted for ``PyTorchModelHubMixin.push_to_hub``, which passes them; unused.

        Returns
        -------
        save_directory : Path
        """
        folder = save_pretrained(self, save_directory, recording=recording)
        if push_to_hub:
            hub = _soft_import("huggingface_hub")
            hub.upload_folder(repo_id=repo_id or folder.name, folder_path=str(folder),
                              **push_to_hub_kwargs)  # fmt: skip
        return folder

    def _save_pretrained(self, save_directory):
        save_pretrained(self, save_directory)

    @classmethod
    def from_pretrained(cls, dir_or_repo_id, *, weights=True, map_location="cpu", revision=None,
                        cache_dir=None, token=None, local_files_only=False):  # fmt: skip
        """Load an encoder saved with :meth:`save_pretrained` (a folder or a Hub repo id).

        Returns
        -------
        encoder : torch.nn.Module
            An instance of this class, with its ``recording_facts``.
        """
        encoder = load_pretrained(dir_or_repo_id, weights=weights, map_location=map_location,
                                  revision=revision, cache_dir=cache_dir, token=token,
                                  local_files_only=local_files_only)  # fmt: skip
        if not isinstance(encoder, cls):
            raise TypeError(
                f"{str(dir_or_repo_id)!r} holds a {type(encoder).__name__}, not a {cls.__name__}; "
                f"load it with eeg_ssl.models.load_pretrained."
            )
        return encoder
