"""Keep freed heap memory in processes that run tasks.

glibc serves allocations above a threshold (128 KB, raised dynamically to at most 32 MB)
with fresh `mmap`s and returns them on `free`; it also trims the heap top above 128 KB. A
batch's arrays are 1-50 MB and are freed within milliseconds, so every new one faults its
pages in again, zeroed by the kernel: about 10% of a filter pipeline's time went there.
With both thresholds at 256 MB such arrays reuse the heap, and peak memory, which is what
the batch size bounds, does not change (measured: BENCHMARKS.md). Arrow's own pool is
separate and is released between tasks (executors/local.py).
"""
from __future__ import annotations

import ctypes
import os
import sys

KEPT_BYTES = 256 << 20
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_applied: list[bool] = []


def keep_freed_heap() -> bool:
    """Raise glibc's mmap and trim thresholds in this process, once; False where that
    is not possible (not Linux, no mallopt) or JUICER_KEEP_FREED_HEAP=0 opts out."""
    if _applied:
        return _applied[0]
    _applied.append(False)
    if not sys.platform.startswith("linux") or os.environ.get("JUICER_KEEP_FREED_HEAP") == "0":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    _applied[0] = bool(mallopt(_M_MMAP_THRESHOLD, KEPT_BYTES)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, KEPT_BYTES))
    return _applied[0]
