"""The default executor: a process pool on this machine (inline when workers == 1)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, Optional, Sequence

import pyarrow as pa

from juicer.engine.executors.base import TaskFailed
from juicer.engine.memory import keep_freed_heap


def _call(fn: Callable[[Any], Any], task: Any) -> tuple[bool, Any]:
    """Run in the worker; a failure comes back as text so it is never lost in pickling."""
    keep_freed_heap()
    try:
        return True, fn(task)
    except BaseException as exc:  # noqa: BLE001 - reported with the task's label
        return False, (type(exc).__name__, str(exc), traceback.format_exc())
    finally:
        # Arrow's allocator keeps freed memory for reuse; between tasks, give it back
        pa.default_memory_pool().release_unused()


def unwrap(ok: bool, value: Any, label: str) -> Any:
    """A task's result, or its error raised as TaskFailed with the task's label."""
    if ok:
        return value
    name, message, details = value
    raise TaskFailed(label, name, message, details)


@contextlib.contextmanager
def _startable_main():
    """forkserver workers import the driver's main script before their first task. A
    script that calls juicer.process() at its top level (as a notebook cell or a short
    script does, without `if __name__ == "__main__":`) would run again in every worker,
    and a script read from stdin (`__file__ == "<stdin>"`) cannot be imported. Workers
    need the script only for operators it defines: otherwise it is hidden while they
    start."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or (os.path.isfile(path) and _defines_operators(main)):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _defines_operators(main) -> bool:
    from juicer.core.operator import Operator

    return any(isinstance(value, type) and issubclass(value, Operator) and
               value.__module__ == main.__name__ for value in vars(main).values())


def _adopt_environment(environment: dict, driver: int) -> None:
    os.environ.clear()
    os.environ.update(environment)
    _exit_with_driver(driver)


def _exit_with_driver(driver: int, every: float = 1.0) -> None:
    """A worker ends when its driver is gone (killed with SIGKILL, where nothing can tell
    the pool): a worker's parent is the forkserver, so the parent-death signal would not
    see it; a watchdog thread checks the driver's process instead."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                os._exit(1)  # what it held is uncommitted: a resumed run redoes it
            except PermissionError:
                pass  # alive, another user's pid (cannot happen for our own driver)

    threading.Thread(target=watch, name="juicer-driver-watch", daemon=True).start()


class LocalExecutor:
    def __init__(self, workers: Optional[int] = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: Optional[ProcessPoolExecutor] = None

    def map(self, fn, tasks: Sequence[Any], labels: Sequence[str],
            resources: Optional[dict] = None) -> Iterator[tuple[int, Any]]:
        # one machine: `workers` tasks at a time, whatever they ask for
        if self.workers == 1:
            for index, task in enumerate(tasks):
                ok, value = _call(fn, task)
                yield index, unwrap(ok, value, labels[index])
            return
        if self._pool is None:
            # forkserver: workers start clean, without the driver's threads or open files
            # The forkserver keeps the environment of the moment it started (the first run of
            # this process): hand every worker the driver's current one (credentials,
            # JUICER_MODEL_DIR set since)
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("forkserver"),
                                             initializer=_adopt_environment,
                                             initargs=(dict(os.environ), os.getpid()))
        with _startable_main():  # the pool starts its workers on the first submit
            futures = {self._pool.submit(_call, fn, task): i for i, task in enumerate(tasks)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = futures[future]
                    try:
                        ok, value = future.result()
                    except BrokenProcessPool as exc:
                        raise TaskFailed(labels[index], "WorkerDied", str(exc) or
                                         "a worker process died (out of memory or killed?)",
                                         "") from None
                    yield index, unwrap(ok, value, labels[index])
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
