"""Executors map a function over tasks; the runner owns everything else."""
from __future__ import annotations

from juicer.errors import JuicerError
from juicer.engine.executors.base import Executor, TaskFailed
from juicer.engine.executors.local import LocalExecutor


def make_executor(kind: str, workers: int | None, address: str | None = None) -> Executor:
    """The executor `kind` (local, dask, ray); dask and ray start a local cluster when no
    `address` is given. Engines load only when asked for (extras juicer[dask], juicer[ray])."""
    if kind == "local":
        if address:
            raise JuicerError("executor 'local' takes no address", hint="use --executor "
                              "dask or --executor ray with --address")
        return LocalExecutor(workers)
    if kind == "dask":
        from juicer.engine.executors.dask_executor import DaskExecutor

        return DaskExecutor(workers, address)
    if kind == "ray":
        from juicer.engine.executors.ray_executor import RayExecutor

        return RayExecutor(workers, address)
    raise JuicerError(f"unknown executor '{kind}'", hint="local, dask or ray")


__all__ = ["Executor", "LocalExecutor", "TaskFailed", "make_executor"]
