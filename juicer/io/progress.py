"""How far the shard tasks have read, for the progress line: a single large .jsonl.gz is one
shard, and a bar that counts finished shards would sit at 0/1 for minutes.

A worker counts the input bytes its readers consume (`Metered`, `count`) and its task writes
`_work/progress/<stage>-<shard>.json` about once a second (documents and bytes read, the
shard's size); the driver's `Watcher` reads those files and tells the documents, bytes,
rate and time left of the stage. The files are a view, never an input: losing one costs
nothing, and a task that finished counts by its shard's size."""
from __future__ import annotations

import json
import os
import threading
import time
from typing import IO, Callable, Optional

INTERVAL = 1.0  # seconds between two progress files of a task, and two looks by the driver
_read = [0]  # input bytes this process's readers consumed


def bytes_read() -> int:
    return _read[0]


def count(size: int) -> None:
    """Count input bytes read without a Metered stream (a Parquet row group)."""
    _read[0] += size


class Metered:
    """A raw input file that counts the bytes read from it."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        _read[0] += len(data)
        return data

    def readinto(self, target) -> int:
        n = self.raw.readinto(target)
        _read[0] += n or 0
        return n

    def readline(self, size: int = -1) -> bytes:
        # fsspec's files take no size
        data = self.raw.readline() if size == -1 else self.raw.readline(size)
        _read[0] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def seekable(self) -> bool:
        return self.raw.seekable()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return self.raw.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def folder(work: str) -> str:
    return os.path.join(work, "progress")


class Reporter:
    """A shard task's progress file, rewritten at most once per INTERVAL."""

    def __init__(self, work: str, stage: int, shard: int, size: int):
        self.path = None if "://" in work else os.path.join(folder(work), f"{stage}-{shard}.json")
        self.size, self.start, self.last = size, bytes_read(), 0.0

    def update(self, documents: int) -> None:
        now = time.monotonic()
        if self.path is None or now - self.last < INTERVAL:
            return
        self.last = now
        state = {"documents": documents, "bytes": min(bytes_read() - self.start, self.size),
                 "size": self.size}
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
            os.replace(temporary, self.path)
        except OSError:
            self.path = None  # a view only: never fail a task for it

    def close(self) -> None:
        if self.path is not None:
            try:
                os.remove(self.path)
            except OSError:
                pass


class Watcher:
    """On the driver, while a stage's shard tasks run: every INTERVAL, calls
    `tell(detail)` with documents and bytes read, rate and time left."""

    def __init__(self, work: str, stage: int, sizes: dict[int, int],
                 tell: Callable[[str], None]):
        self.folder, self.stage, self.sizes, self.tell = folder(work), stage, sizes, tell
        self.finished: set[int] = set()
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread: Optional[threading.Thread] = None

    def __enter__(self):
        if "://" not in self.folder:
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def done(self, shard: int) -> None:
        self.finished.add(shard)

    def _loop(self) -> None:
        while not self.stop.wait(INTERVAL):
            detail = self.detail()
            if detail:
                self.tell(detail)

    def detail(self) -> str:
        documents, read = 0, sum(self.sizes[s] for s in self.finished if s in self.sizes)
        # only the running tasks have a file: list the folder, not every shard of the stage
        try:
            names = os.listdir(self.folder)
        except OSError:
            names = []
        for name in names:
            stage, _, rest = name.partition("-")
            shard = int(rest[:-5]) if rest.endswith(".json") and rest[:-5].isdigit() else None
            if stage != str(self.stage) or shard not in self.sizes or shard in self.finished:
                continue
            try:
                with open(os.path.join(self.folder, name), encoding="utf-8") as handle:
                    state = json.load(handle)
            except (OSError, ValueError):
                continue
            documents += state["documents"]
            read += state["bytes"]
        if not read and not documents:
            return ""
        total = sum(self.sizes.values())
        elapsed = time.monotonic() - self.started
        rate = read / elapsed if elapsed > 0 else 0
        left = (total - read) / rate if rate > 0 else None
        parts = [f"{documents:,} docs in running shards" if documents else "",
                 f"{human_size(read)} of {human_size(total)}", f"{human_size(rate)}/s",
                 f"ETA {_duration(left)}" if left is not None else ""]
        return " · ".join(p for p in parts if p)


def human_size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000:
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
