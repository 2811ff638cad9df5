"""Reading recordings (MNE), the preprocessing recipe, windowing and HDF5 shards."""

from .harmonise import standardise_name, standardise_names
from .integrity import verify_folder
from .manifest import read_manifest, read_record
from .prepare import prepare, prepare_arrays, prepare_recording
from .read import read_raw
from .recipe import Recipe, apply_recipe, preprocess
from .shards import FORMAT_VERSION, read_shard, read_shard_info, write_shard
from .sources import (
    Recording,
    bids_recordings,
    braindecode_recordings,
    entities_from_path,
    file_recordings,
    read_arff,
)

__all__ = [
    "FORMAT_VERSION",
    "Recipe",
    "Recording",
    "apply_recipe",
    "bids_recordings",
    "braindecode_recordings",
    "entities_from_path",
    "file_recordings",
    "prepare",
    "prepare_arrays",
    "prepare_recording",
    "preprocess",
    "read_arff",
    "read_manifest",
    "read_raw",
    "read_record",
    "read_shard",
    "read_shard_info",
    "standardise_name",
    "standardise_names",
    "verify_folder",
    "write_shard",
]
