"""Where an operator's array arithmetic runs: numpy on the CPU, or CuPy on a CUDA GPU.

The model code (juicer/models/embeddings.py, juicer/models/kmeans.py) is written once
against an array module `xp` and runs on either: CuPy mirrors numpy's API, so the GPU path
is the CPU path with other arrays, and the CPU tests exercise every line of it. CuPy is the `gpu` extra
(`pip install 'juicer-llm[gpu]'`: `cupy-cuda12x` with the CUDA 12 libraries from PyPI);
torch, a multi-GB install, is not needed.

A device is one of:
- `cpu`: numpy, always (the default: the same bytes on every machine);
- `cuda`: CuPy on the GPU this worker sees; a worker without one stops the run, naming why;
- `auto`: CuPy where a worker sees a GPU, numpy elsewhere.

Floating-point sums run in another order on a GPU, so embeddings differ from the CPU's in
the last bits (about 1e-6) and a pair whose similarity lies that close to the threshold may
be decided otherwise. Runs on one device kind are reproducible; `auto` on a cluster that
mixes GPU and CPU workers is not, which is why it is not the default.
"""
from __future__ import annotations

import functools
from typing import Any, Literal, Optional

import numpy as np

from juicer.errors import JuicerError

Device = Literal["cpu", "cuda", "auto"]
GPU_HINT = ("pip install 'juicer-llm[gpu]' (CuPy with the CUDA 12 libraries) on a machine "
            "with an NVIDIA GPU, or set device: cpu")


@functools.lru_cache(maxsize=None)
def cuda_unavailable() -> Optional[str]:
    """Why CuPy cannot run here (None when it can): checked once per process."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, or one too old for the runtime
        return f"CUDA is not usable here ({exc})"
    if count == 0:
        return "no CUDA device is visible (CUDA_VISIBLE_DEVICES?)"
    try:  # a driver without the CUDA libraries (cuBLAS, NVRTC) fails only at the first use
        product = cupy.ones((2, 2), cupy.float32) @ cupy.ones((2, 2), cupy.float32)
        float(cupy.exp(product).sum())
    except Exception as exc:
        return f"CuPy cannot compute on the GPU ({type(exc).__name__}: {exc})"
    return None


def array_module(device: Device) -> Any:
    """numpy or cupy for `device` (see the module's docstring)."""
    if device == "cpu":
        return np
    reason = cuda_unavailable()
    if reason is None:
        import cupy

        return cupy
    if device == "auto":
        return np
    raise JuicerError(f"device: cuda, but {reason}", hint=GPU_HINT)


def to_host(array: Any) -> np.ndarray:
    """A numpy array from a numpy or CuPy one."""
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) \
        else np.asarray(array)
