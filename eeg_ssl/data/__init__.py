"""Torch datasets over prepared HDF5 shards."""

from .dataset import ShardDataset

__all__ = ["ShardDataset"]
