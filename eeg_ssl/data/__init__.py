"""Torch datasets over prepared HDF5 shards."""

from .braindecode import to_braindecode
from .corpus import CorpusDataset, CorpusItem
from .dataset import ShardDataset
from .split import split_dataset, subject_split
from .stream import ShardStream, rank_and_world

__all__ = [
    "CorpusDataset",
    "CorpusItem",
    "ShardDataset",
    "ShardStream",
    "rank_and_world",
    "split_dataset",
    "subject_split",
    "to_braindecode",
]
