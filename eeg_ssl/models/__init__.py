"""Encoders with braindecode's signature, and the encoder registry."""

from ..utils import check_option
from .braindecode_adapter import BraindecodeAdapter
from .channel_tokens import ChannelTokenEncoder
from .conv_encoder import ConvEncoder
from .covariance_encoder import CovarianceEncoder
from .export import PretrainedEEGModel, to_braindecode
from .hub import PretrainedMixin, load_pretrained, save_pretrained
from .patch_transformer import PatchTransformer

#: Encoders by name. Each takes ``n_chans, n_outputs, n_times, ..., chs_info,
#: input_window_seconds, sfreq`` (braindecode's ``EEGModuleMixin`` signature).
ENCODERS = {
    "conv": ConvEncoder,
    "patch_transformer": PatchTransformer,
    "braindecode": BraindecodeAdapter,
    "covariance": CovarianceEncoder,
    "tokens": ChannelTokenEncoder,
}


def build_encoder(name, *, n_chans, n_times, n_outputs=128, sfreq=None, **kwargs):
    """Build a registered encoder by name.

    Parameters
    ----------
    name : str
        A key of :data:`ENCODERS`.
    n_chans, n_times, n_outputs, sfreq
        Braindecode's signal parameters; ``n_outputs`` is the embedding size.
    **kwargs
        The encoder's own hyperparameters.
    """
    check_option("encoder", name, ENCODERS)
    return ENCODERS[name](
        n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq, **kwargs
    )


def encoder_name(encoder):
    """The registry name of an encoder instance."""
    for name, cls in ENCODERS.items():
        if type(encoder) is cls:
            return name
    raise ValueError(
        f"Encoder of type {type(encoder).__name__} is not registered in eeg_ssl.models.ENCODERS "
        f"({sorted(ENCODERS)}); register it to save it in a checkpoint."
    )


__all__ = [
    "ENCODERS",
    "BraindecodeAdapter",
    "ChannelTokenEncoder",
    "ConvEncoder",
    "CovarianceEncoder",
    "PatchTransformer",
    "PretrainedEEGModel",
    "PretrainedMixin",
    "build_encoder",
    "encoder_name",
    "load_pretrained",
    "save_pretrained",
    "to_braindecode",
]
