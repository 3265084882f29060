"""A shard's signatures for a global step, hashed into reduce partitions, in few files.

One file per (shard, partition) would make shards x partitions small files (millions at a
terabyte: slow on a shared filesystem, and two requests each on an object store). Instead a
shard writes one file (another every FLUSH_BYTES, so memory stays bounded) holding one Arrow
IPC stream per partition, in partition order. Each partition's stream is a segment
(path, offset, length, CRC-32) that travels in the shard's result to the reduce task of that
partition, which reads just those bytes (one range request) and checks them.
"""
from __future__ import annotations

import zlib
from typing import Optional

import numpy as np
import pyarrow as pa

from juicer.io import fs
from juicer.io.integrity import SealedFile, check_segment

FLUSH_BYTES = 256 * 2**20

Segment = tuple  # (path, offset, length, crc32)


class PartitionedSink:
    def __init__(self, directory: str, name: str, partitions: int, producer: str):
        self.directory, self.name = directory, name
        self.partitions, self.producer = partitions, producer
        self.segments: dict[int, list[Segment]] = {}
        self._pending: list[tuple[pa.Table, np.ndarray]] = []
        self._pending_bytes = self._files = 0

    def write(self, table: pa.Table, partition: np.ndarray) -> None:
        """Add rows, `partition[i]` being row i's partition."""
        if table.num_rows:
            self._pending.append((table, partition))
            self._pending_bytes += table.nbytes
            if self._pending_bytes >= FLUSH_BYTES:
                self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables([t for t, _ in self._pending], promote_options="permissive")
        partition = np.concatenate([p for _, p in self._pending])
        self._pending, self._pending_bytes = [], 0
        order = np.argsort(partition, kind="stable")  # rows keep their order in a partition
        bounds = np.searchsorted(partition[order], np.arange(self.partitions + 1))
        path = fs.join(self.directory, f"{self.name}-{self._files:03d}.arrow")
        self._files += 1
        written = SealedFile(path, self.producer)
        for p in range(self.partitions):
            if bounds[p] == bounds[p + 1]:
                continue
            rows = table.take(pa.array(order[bounds[p]:bounds[p + 1]]))
            stream = pa.BufferOutputStream()
            with pa.ipc.new_stream(stream, rows.schema) as writer:
                writer.write_table(rows)
            data = stream.getvalue()
            self.segments.setdefault(p, []).append(
                (path, written.size, data.size, zlib.crc32(data)))
            written.write(data)
        written.commit()

    def close(self) -> dict[str, list[Segment]]:
        self._flush()
        return {str(p): segments for p, segments in sorted(self.segments.items())}


def read_partition(segments: list[Segment]) -> Optional[pa.Table]:
    """The rows of one partition from every shard's segments (None when there are none)."""
    tables = []
    for path, offset, length, crc32 in segments:
        data = fs.read_range(path, offset, length)
        check_segment(path, offset, data, length, crc32)
        tables.append(pa.ipc.open_stream(pa.py_buffer(data)).read_all())
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")
