"""SSL methods, one file each, and the ``METHODS`` registry."""

from ..utils import check_option
from .base import SSLMethod
from .simclr import SimCLR

#: SSL methods by name. Each is ``Method(encoder, **keyword_arguments)``.
METHODS = {cls.name: cls for cls in (SimCLR,)}


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
    return METHODS[name](encoder, **kwargs)


__all__ = ["METHODS", "SSLMethod", "SimCLR", "build_method"]
