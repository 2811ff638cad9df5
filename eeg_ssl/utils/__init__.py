"""Logging, argument checks and small shared helpers."""

from .checks import check_option, check_random_state, seeded, torch_generator
from .logs import logger, set_log_level, use_log_level
from .memory import release_freed_memory, retain_freed_memory
from .versions import package_versions

__all__ = [
    "check_option",
    "check_random_state",
    "logger",
    "package_versions",
    "release_freed_memory",
    "retain_freed_memory",
    "seeded",
    "set_log_level",
    "torch_generator",
    "use_log_level",
]
