"""Reading recordings (MNE), the preprocessing recipe, windowing and HDF5 shards."""

from .manifest import read_manifest, read_record
from .prepare import prepare, prepare_recording
from .read import read_raw
from .recipe import Recipe, apply_recipe
from .shards import FORMAT_VERSION, read_shard, read_shard_info, write_shard

__all__ = [
    "FORMAT_VERSION",
    "Recipe",
    "apply_recipe",
    "prepare",
    "prepare_recording",
    "read_manifest",
    "read_raw",
    "read_record",
    "read_shard",
    "read_shard_info",
    "write_shard",
]
