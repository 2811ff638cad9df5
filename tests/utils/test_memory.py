"""retain_freed_memory: freed arrays are reused instead of faulted in again."""

import ctypes
import json
import os
import subprocess
import sys

import pytest

from eeg_ssl.utils import memory, retain_freed_memory

_GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")

# A fresh process allocates and fills a 40 MB array (above every default threshold of
# glibc: served by mmap), frees it, and counts the page faults of doing it again.
_SCRIPT = """
import json, resource, sys
import numpy as np
from eeg_ssl.utils import retain_freed_memory
applied = retain_freed_memory() if sys.argv[1] == "retain" else False
a = np.ones(10 << 20, dtype=np.float32)
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(10 << 20, dtype=np.float32)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"applied": applied, "faults": faults}))
"""


def _faults(mode):
    # 4 KiB pages only (no transparent huge pages), so a fresh 40 MB array costs ~10,000
    env = dict(os.environ, NUMPY_MADVISE_HUGEPAGE="0")
    out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True,
                         text=True, check=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not _GLIBC, reason="needs glibc's mallopt (Linux)")
def test_retain_freed_memory__second_array_reuses_the_freed_pages():
    default, retained = _faults("default"), _faults("retain")
    assert retained["applied"] is True and default["applied"] is False
    assert default["faults"] > 5000  # the default returns the block to the system
    assert retained["faults"] < default["faults"] / 10


def test_retain_freed_memory__rejects_non_positive_sizes():
    with pytest.raises(ValueError, match="'max_bytes' must be a positive"):
        retain_freed_memory(0)


def test_retain_freed_memory__changes_nothing_without_glibc(monkeypatch):
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert retain_freed_memory() is False
    monkeypatch.setattr(memory.sys, "platform", "linux")

    def no_library(name):
        raise OSError("no C library")

    monkeypatch.setattr(memory.ctypes, "CDLL", no_library)
    assert retain_freed_memory() is False


# A fresh process fills 500 arrays of 64 KB (below glibc's mmap threshold: heap blocks),
# frees all but the last (which keeps the heap from shrinking by itself) and reads its
# resident memory before and after release_freed_memory.
_RELEASE = """
import json, os
import numpy as np
from eeg_ssl.utils import release_freed_memory
def rss():
    with open("/proc/self/statm") as fid:
        return int(fid.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
arrays = [np.ones(16 << 10, dtype=np.float32) for _ in range(500)]
last = arrays[-1]
del arrays
before = rss()
released = release_freed_memory()
print(json.dumps({"released": released, "freed_mb": (before - rss()) / 2**20}))
"""


@pytest.mark.skipif(not _GLIBC, reason="needs glibc's malloc_trim (Linux)")
def test_release_freed_memory__gives_the_freed_heap_back():
    out = subprocess.run([sys.executable, "-c", _RELEASE], capture_output=True, text=True,
                         check=True)  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["released"] is True
    assert result["freed_mb"] > 20  # of the ~31 MB freed


def test_release_freed_memory__does_nothing_without_glibc(monkeypatch):
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.release_freed_memory() is False
