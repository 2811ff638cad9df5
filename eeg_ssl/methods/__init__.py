"""SSL methods, one file each, and the ``METHODS`` registry."""

import difflib
import inspect

from ..utils import check_option
from .autoencoder import Autoencoder
from .barlow_twins import BarlowTwins
from .base import MomentumTwoViewMethod, SSLMethod, TwoViewMethod
from .byol import BYOL
from .cpc import CPC
from .mae import MaskedAutoencoder
from .mixup import Mixup
from .moco import MoCo
from .relative_positioning import RelativePositioning
from .resampling_contrastive import ResamplingContrastive
from .simclr import SimCLR
from .spectral_prediction import SpectralPrediction
from .swav import SwAV
from .temporal_shuffling import TemporalShuffling
from .transformation_prediction import TransformationPrediction
from .vicreg import VICReg

#: SSL methods by name. Each is ``Method(encoder, **keyword_arguments)``.
METHODS = {
    cls.name: cls
    for cls in (
        SimCLR,
        MoCo,
        BYOL,
        SwAV,
        VICReg,
        BarlowTwins,
        ResamplingContrastive,
        Autoencoder,
        MaskedAutoencoder,
        CPC,
        RelativePositioning,
        TemporalShuffling,
        TransformationPrediction,
        SpectralPrediction,
        Mixup,
    )
}


def build_method(name, encoder, **kwargs):
    """Build a registered method around ``encoder``.

    Parameters
    ----------
    name : str
        A key of :data:`METHODS`.
    encoder : nn.Module
    **kwargs
        The method's keyword arguments.
    """
    check_option("method", name, METHODS)
    cls = METHODS[name]
    params = inspect.signature(cls).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        allowed = [k for k in params if k != "encoder"]
        for key in kwargs:  # else Python's "__init__() got an unexpected keyword argument"
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                raise ValueError(
                    f"Invalid keyword argument of method {name!r} (method_params / the "
                    f"config's method_kwargs): {key!r}; allowed {', '.join(map(repr, allowed))}."
                    + (f" Did you mean {close[0]!r}?" if close else "")
                )
    return cls(encoder, **kwargs)


__all__ = [
    "METHODS",
    "SSLMethod",
    "TwoViewMethod",
    "MomentumTwoViewMethod",
    "SimCLR",
    "MoCo",
    "BYOL",
    "SwAV",
    "VICReg",
    "BarlowTwins",
    "ResamplingContrastive",
    "Autoencoder",
    "MaskedAutoencoder",
    "CPC",
    "RelativePositioning",
    "TemporalShuffling",
    "TransformationPrediction",
    "SpectralPrediction",
    "Mixup",
    "build_method",
]
