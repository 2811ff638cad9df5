"""Reusable layers and heads."""

from .heads import ProjectionHead

__all__ = ["ProjectionHead"]
