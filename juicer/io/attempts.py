"""One live attempt per task, and one driver per output directory.

A driver killed with SIGKILL does not take its workers with it: a local pool worker, a Dask
or a Ray worker finishes the task it holds and commits it. When the run is resumed at that
moment, the resumed attempt of the same task would write the same files. So:

- a task attempt holds an exclusive lock next to its done marker while it runs; a second
  attempt waits for it, then finds the marker and takes the committed result instead of
  writing again (`once`). The lock dies with its process, so a killed attempt never blocks.
- every run of an output directory gets a generation, a folder of `_work/` that its tasks
  write into. Resuming keeps the generation; `--overwrite` starts a new one, so a worker
  left over from the replaced run can only write into the removed generation's folder.
- the driver holds a lock on the output directory: a second `juicer process` on the same
  output stops with a clear error instead of both writing it.

Locks are advisory `flock` locks: local disks and NFS honour them. Where `fcntl` does not
exist (Windows) there is no lock and the guard is the committed-marker check alone. A run
folder on object storage (a URL) has no locks: its locks are local files keyed by the URL,
which guard attempts on one machine; two attempts of one task on different machines write
the same bytes (tasks are deterministic), and a reader checks every file against its seal.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import uuid
from contextlib import contextmanager

from juicer.errors import JuicerError
from juicer.io import fs
from juicer.io.intermediates import read_marker

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_SUFFIX = ".lock"
GENERATION_FILE = "generation.json"  # in every generation's folder


def new_generation() -> str:
    return "g" + uuid.uuid4().hex[:12]


@contextmanager
def exclusive(marker: str):
    """Hold the lock of one task (waits while another attempt of it runs)."""
    descriptor = os.open(_lock_file(marker), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock_file(path: str) -> str:
    if fs.is_url(path):
        folder = _local_lock_folder(path)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, _digest(path) + LOCK_SUFFIX)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path + LOCK_SUFFIX


def _local_lock_folder(url: str) -> str:
    """This machine's lock files of one generation of a run folder on object storage."""
    generation = re.match(r".*?/_work/g[0-9a-f]+", url)
    return os.path.join(fs.scratch_root(), "juicer-locks",
                        _digest(generation.group(0) if generation else url))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forget_locks(work_dir: str) -> None:
    """Remove this machine's lock files of a finished generation on object storage."""
    if fs.is_url(work_dir):
        import shutil

        shutil.rmtree(_local_lock_folder(work_dir), ignore_errors=True)


def once(task_function):
    """Run a task (anything with a `.marker`) unless an attempt already committed it."""
    @functools.wraps(task_function)
    def attempt(task):
        if not _generation_exists(task.work_dir):
            # --overwrite removed this task's generation: its run was replaced
            raise JuicerError(f"the run this task belongs to was replaced ({task.work_dir} "
                              "is gone); nothing written")
        with exclusive(task.marker):
            if fs.exists(task.marker):
                committed = read_marker(task.marker)
                if committed is not None:
                    return committed
                fs.remove_file(task.marker)  # damaged: the task is done again
            return task_function(task)
    return attempt


def _generation_exists(work_dir: str) -> bool:
    if fs.is_url(work_dir):  # one request for a file; a folder is a listing
        return fs.exists(fs.join(work_dir, GENERATION_FILE))
    return os.path.isdir(work_dir)


class OutputLock:
    """The driver's lock on an output directory, held until `release`."""

    def __init__(self, directory: str):
        self.directory = directory
        self._descriptor = None
        if fcntl is None:
            return
        if fs.is_url(directory):
            descriptor = os.open(_lock_file(directory), os.O_CREAT | os.O_RDWR, 0o644)
        else:
            os.makedirs(directory, exist_ok=True)
            descriptor = os.open(directory, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise JuicerError(
                f"another juicer run is writing to '{directory}' right now", hint="wait "
                "for it to finish (or stop it), or choose another output.path") from None
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> "OutputLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
