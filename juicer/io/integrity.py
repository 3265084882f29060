"""Checksums of intermediate files. The task that writes a file seals it (CRC-32 and size
in a sidecar, before the task's done marker), and every task that reads it checks the seal.
A damaged file is named, the marker of the task that wrote it is removed, and the next run
of the same command redoes that task instead of feeding wrong data forward.

A run built on object storage (output.staging: s3://...) writes each file in local scratch,
uploads it whole, then its seal; a reader downloads it and checks it the same way.

The seal's record also travels in the writing task's result (`seals` beside `files`), so a
reader given it checks without reading the sidecar: one request less per file on a store.
The sidecar serves readers without that result (pair files, a damaged segment's producer)."""
from __future__ import annotations

import json
import os
import zlib
from typing import Optional

from juicer.errors import JuicerError
from juicer.io import fs


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


def place(temporary: str, path: str) -> None:
    """Put a finished local file at `path`: renamed durably, or uploaded to a URL."""
    if fs.is_url(path):
        try:
            fs.upload(temporary, path)
        finally:
            os.remove(temporary)
    else:
        durable_replace(temporary, path)


def temporary_for(path: str) -> str:
    """Where a file is written before `place` puts it at `path`."""
    if fs.is_url(path):
        return fs.scratch_path(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return f"{path}.tmp-{os.getpid()}"


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


class SealedFile(ChecksummingFile):
    """A file that becomes `path`, sealed for `producer`, when committed."""

    def __init__(self, path: str, producer: Optional[str]):
        self.path, self.producer = path, producer
        self.temporary = temporary_for(path)
        super().__init__(self.temporary)

    def commit(self) -> dict:
        """Put the file in place and seal it; returns the seal's record."""
        self.close()
        place(self.temporary, self.path)
        return seal(self.path, self.producer, self)


def seal(path: str, producer: Optional[str], written: Optional[ChecksummingFile] = None) -> dict:
    """Record `path`'s checksum and size (from `written` when it was written through a
    ChecksummingFile), and the done marker of the task that wrote it; returns the record."""
    if written is not None:
        record = {"crc32": written.crc32, "bytes": written.size, "producer": producer}
    else:
        record = {"crc32": crc32_of(path), "bytes": os.path.getsize(path), "producer": producer}
    temporary = temporary_for(path + SUFFIX)
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    place(temporary, path + SUFFIX)
    return record


def check(path: str, local_copy: Optional[str] = None, record: Optional[dict] = None) -> None:
    """Raise DamagedIntermediate when `path` is missing, unsealed, or differs from its seal.
    `local_copy`: a downloaded copy of `path` (a URL) to check instead of reading it again;
    `record`: its seal's record when the writer's result carried it."""
    copy = local_copy or path
    if fs.is_url(copy):
        checked_bytes(path, record)
        return
    record = record or _seal_of(path)
    if not os.path.exists(copy):
        _damaged(path, "the file is missing", record.get("producer"))
    size = os.path.getsize(copy)
    if size != record["bytes"]:
        _damaged(path, f"{size} bytes instead of {record['bytes']}", record.get("producer"))
    if crc32_of(copy) != record["crc32"]:
        _damaged(path, "its checksum does not match", record.get("producer"))


def checked_bytes(path: str, record: Optional[dict] = None) -> bytes:
    """The whole content of a sealed file, checked against its seal (`record`, or the
    sidecar's)."""
    record = record or _seal_of(path)
    data = _read_or_missing(path, record)
    _check_bytes(path, data, record)
    return data


def _seal_of(path: str) -> dict:
    try:
        return json.loads(fs.read_bytes(path + SUFFIX))
    except (OSError, ValueError):
        _damaged(path, "its checksum record is missing or unreadable", None)


def _read_or_missing(path: str, record: dict) -> bytes:
    try:
        return fs.read_bytes(path)
    except FileNotFoundError:
        _damaged(path, "the file is missing", record.get("producer"))


def _check_bytes(path: str, data: bytes, record: dict) -> None:
    if len(data) != record["bytes"]:
        _damaged(path, f"{len(data)} bytes instead of {record['bytes']}", record.get("producer"))
    if zlib.crc32(data) != record["crc32"]:
        _damaged(path, "its checksum does not match", record.get("producer"))


def check_segment(path: str, offset: int, data: bytes, length: int, crc32: int) -> None:
    """Check a part of a sealed file read alone (juicer/io/partitioned.py) against the size
    and CRC-32 recorded for it; the seal is read only to name the producer of a damage."""
    if len(data) != length:
        why = f"{len(data)} bytes at offset {offset} instead of {length}"
    elif zlib.crc32(data) != crc32:
        why = f"the checksum of the bytes at offset {offset} does not match"
    else:
        return
    try:
        producer = json.loads(fs.read_bytes(path + SUFFIX)).get("producer")
    except (OSError, ValueError):
        producer = None
    _damaged(path, why, producer)


def _damaged(path: str, why: str, producer: Optional[str]) -> None:
    if producer and fs.exists(producer):
        fs.remove_file(producer)  # the task that wrote it runs again on the next attempt
        redo = f"the task that wrote it ({_task_name(producer)}) will be redone"
    else:
        redo = "rerun with --overwrite to start over"
    raise DamagedIntermediate(
        f"intermediate file {path} is damaged: {why}; {redo}",
        hint="run the same command again to resume; check the disk if this repeats")


def _task_name(marker: str) -> str:
    parts = marker.replace("\\", "/").split("/")
    if "_work" in parts:
        parts = parts[parts.index("_work") + 1:]
        if parts and parts[0].startswith("g"):  # the run's generation (io/attempts.py)
            parts = parts[1:]
    return "/".join(parts).replace(".done.json", "")
