"""Checksums of intermediate files. The task that writes a file seals it (CRC-32 and size
in a sidecar, before the task's done marker), and every task that reads it checks the seal.
A damaged file is named, the marker of the task that wrote it is removed, and the next run
of the same command redoes that task instead of feeding wrong data forward."""
from __future__ import annotations

import json
import os
import zlib
from typing import Optional

from juicer.errors import JuicerError


def durable_replace(temporary: str, path: str) -> None:
    """Rename a finished file into place so that it survives a power loss, not only a
    killed process: its bytes reach the disk before the rename, the rename before return."""
    descriptor = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    fsync_folder(os.path.dirname(os.path.abspath(path)))


def fsync_folder(path: str) -> None:
    """Make the renames into a folder durable."""
    folder = os.open(path, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


SUFFIX = ".crc.json"
_CHUNK = 16 * 2**20


class DamagedIntermediate(JuicerError):
    pass


def crc32_of(path: str) -> int:
    value = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            value = zlib.crc32(chunk, value)
    return value


class ChecksummingFile:
    """A binary file that computes the CRC-32 of what is written to it (no second read)."""

    def __init__(self, path: str):
        self._handle = open(path, "wb")
        self.crc32 = 0
        self.size = 0
        self.closed = False

    def write(self, data) -> int:
        self.crc32 = zlib.crc32(data, self.crc32)
        self.size += len(memoryview(data).cast("B"))
        return self._handle.write(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
            self.closed = True

    def writable(self) -> bool:
        return True


def seal(path: str, producer: Optional[str], written: Optional[ChecksummingFile] = None) -> None:
    """Record `path`'s checksum and size (from `written` when it was written through a
    ChecksummingFile), and the done marker of the task that wrote it."""
    if written is not None:
        record = {"crc32": written.crc32, "bytes": written.size, "producer": producer}
    else:
        record = {"crc32": crc32_of(path), "bytes": os.path.getsize(path), "producer": producer}
    temporary = f"{path}{SUFFIX}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    durable_replace(temporary, path + SUFFIX)


def check(path: str) -> None:
    """Raise DamagedIntermediate when `path` is missing, unsealed, or differs from its seal."""
    try:
        with open(path + SUFFIX, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        _damaged(path, "its checksum record is missing or unreadable", None)
        return
    if not os.path.exists(path):
        _damaged(path, "the file is missing", record.get("producer"))
    size = os.path.getsize(path)
    if size != record["bytes"]:
        _damaged(path, f"{size} bytes instead of {record['bytes']}", record.get("producer"))
    if crc32_of(path) != record["crc32"]:
        _damaged(path, "its checksum does not match", record.get("producer"))


def _damaged(path: str, why: str, producer: Optional[str]) -> None:
    if producer and os.path.exists(producer):
        os.remove(producer)  # the task that wrote it runs again on the next attempt
        redo = f"the task that wrote it ({_task_name(producer)}) will be redone"
    else:
        redo = "rerun with --overwrite to start over"
    raise DamagedIntermediate(
        f"intermediate file {path} is damaged: {why}; {redo}\n"
        "    hint: run the same command again to resume; check the disk if this repeats")


def _task_name(marker: str) -> str:
    parts = marker.replace("\\", "/").split("/")
    if "_work" in parts:
        parts = parts[parts.index("_work") + 1:]
        if parts and parts[0].startswith("g"):  # the run's generation (io/attempts.py)
            parts = parts[1:]
    return "/".join(parts).replace(".done.json", "")
