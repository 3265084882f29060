"""Executors map a function over tasks; the runner owns everything else."""
from __future__ import annotations

from juicer.errors import JuicerError
from juicer.executors.base import Executor, TaskFailed
from juicer.executors.local import LocalExecutor


def make_executor(kind: str, workers: int | None, address: str | None = None) -> Executor:
    if kind == "local":
        return LocalExecutor(workers)
    raise JuicerError(
        f"executor '{kind}' is not available yet in this version; use executor.kind: local "
        "(the Ray and Dask executors are planned, see docs/architecture.md)")


__all__ = ["Executor", "LocalExecutor", "TaskFailed", "make_executor"]
