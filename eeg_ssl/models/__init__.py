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


#: The default recipe's filter bank in front of the conv encoder (nine 4-Hz bands, 4-40
#: Hz): chosen on the selection group by screen 8, before evaluation run 2
#: (docs/experiments/suite-evaluation-2.md).
DEFAULT_FILTER_BANK = 9


def default_encoder_params(name, params=None, *, sfreq=None):
    """The default recipe's encoder settings, added to ``params`` where not given.

    The conv encoder gets a fixed filter bank in front (``filter_bank=9``) when the
    rate is known and 40 Hz is below its Nyquist frequency; otherwise it stays plain
    (logged). ``filter_bank=None`` in ``params`` asks for the plain encoder. Other
    encoders are unchanged.

    Parameters
    ----------
    name : str
        A key of :data:`ENCODERS`.
    params : dict | None
        The encoder's keyword arguments as given.
    sfreq : float | None
        Rate of the windows in Hz.

    Returns
    -------
    params : dict
        A new dict.
    """
    params = dict(params or {})
    if name != "conv" or "filter_bank" in params:
        return params
    if sfreq is not None and float(sfreq) / 2 > 40:
        params["filter_bank"] = DEFAULT_FILTER_BANK
    else:
        from ..utils import logger

        logger.info(
            "The conv encoder is built without its default filter bank (4-40 Hz): the "
            "windows' rate is %s; it needs a rate above 80 Hz.",
            "unknown" if sfreq is None else f"{float(sfreq):g} Hz",
        )
    return params


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
    "DEFAULT_FILTER_BANK",
    "ENCODERS",
    "BraindecodeAdapter",
    "ChannelTokenEncoder",
    "ConvEncoder",
    "CovarianceEncoder",
    "PatchTransformer",
    "PretrainedEEGModel",
    "PretrainedMixin",
    "build_encoder",
    "default_encoder_params",
    "encoder_name",
    "load_pretrained",
    "save_pretrained",
    "to_braindecode",
]
