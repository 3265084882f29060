"""The run's own intermediates: Arrow IPC files written by tasks (ArrowSink) and read back
by later tasks and the driver (whole, by row range, or only the batches holding some row
ids), their schemas, and the tasks' done markers (JSON with a checksum)."""
from __future__ import annotations

import json
import os
from typing import Optional

import numpy as np
import pyarrow as pa

from juicer.io import fs
from juicer.io.integrity import SealedFile, check, checked_bytes
from juicer.io.writers import read_json, unify, write_json

MARKER_SEAL = "__marker_crc32__"
WHOLE_READ_BYTES = 8 * 2**20


def read_arrow_rows(paths: list[str], start: int, end: int, seals: Optional[dict] = None):
    """Rows [start, end) of sealed IPC files read in order, batch by batch, without mapping
    the files into memory. `seals`: path -> seal record, where the writers' results gave
    them (juicer.io.integrity)."""
    position = 0
    for path in paths:
        if position >= end:
            return
        with fs.local_copy(path) as local:
            check(path, local, (seals or {}).get(path))
            with pa.OSFile(local) as handle:
                reader = pa.ipc.open_file(handle)
                for index in range(reader.num_record_batches):
                    if position >= end:
                        return
                    batch = reader.get_batch(index)
                    low, high = max(start, position), min(end, position + batch.num_rows)
                    if low < high:
                        yield pa.Table.from_batches([batch.slice(low - position, high - low)])
                    position += batch.num_rows


class ArrowSink:
    """Append tables to Arrow IPC files under `directory`, starting a new file whenever the
    schema changes (mixed input schemas), so memory stays bounded by one batch."""

    def __init__(self, directory: str, kind: str, producer: Optional[str] = None):
        """`producer`: the done marker of the task writing the files; each file is sealed
        with a checksum naming it (juicer.io.integrity)."""
        self.directory, self.kind, self.producer = directory, kind, producer
        self.files: list[str] = []
        self.seals: list[dict] = []
        self.schemas: list[pa.Schema] = []
        self.rows = 0
        self._writer = None
        self._schema: Optional[pa.Schema] = None

    def write(self, table: Optional[pa.Table]) -> None:
        if table is None or table.num_rows == 0:
            return
        if self._writer is None or not table.schema.equals(self._schema):
            self._finish_file()
            path = fs.join(self.directory, f"{self.kind}-{len(self.files):03d}.arrow")
            self._schema = table.schema
            self._file = SealedFile(path, self.producer)
            self._writer = pa.ipc.new_file(pa.PythonFile(self._file, mode="w"), table.schema)
            self.files.append(path)
            self.schemas.append(table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def _finish_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self.seals.append(self._file.commit())
            self._writer = None

    def close(self) -> dict:
        """What the task's result says of the files: names, rows, and each file's seal."""
        self._finish_file()
        return {"files": [os.path.basename(f) for f in self.files], "rows": self.rows,
                "seals": self.seals}


def schema_of_files(paths: list[str]) -> Optional[pa.Schema]:
    """The unified schema of IPC files, read from their footers only."""
    return unify(schemas_of(paths))


def schemas_of(paths: list[str]) -> list[pa.Schema]:
    """Each IPC file's schema from its footer; on a store many at once (the driver reads the
    footers of every shard's files before cutting the outputs)."""
    return fs.map_paths(_schema_of, paths)


def _schema_of(path: str) -> pa.Schema:
    with fs.arrow_source(path) as source:  # closed here, not whenever it is collected
        return pa.ipc.open_file(source).schema


def write_marker(data: dict, path: str) -> None:
    """A done marker (or run manifest): JSON with a CRC-32 of its content, so that a
    damaged one is known as such and its task redone (juicer.io.integrity seals the data
    files the same way)."""
    write_json({**data, MARKER_SEAL: _marker_crc(data)}, path)


def read_marker(path: str) -> Optional[dict]:
    """A marker's content, or None when it is empty, not JSON, unsealed or fails its
    checksum (a marker cut short can still be valid JSON)."""
    try:
        data = read_json(path)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    seal = data.pop(MARKER_SEAL, None)
    return data if seal is not None and seal == _marker_crc(data) else None


def _marker_crc(data: dict) -> int:
    import zlib

    return zlib.crc32(json.dumps(data, sort_keys=True).encode("utf-8"))


def read_arrow_files(paths: list[str], columns: Optional[list[str]] = None,
                     verify: bool = True, seals: Optional[dict] = None) -> Optional[pa.Table]:
    """Memory-mapped read of IPC files written by ArrowSink (zero-copy), each checked
    against its seal unless `verify` is false (random access to a few rows)."""
    tables = [pa.ipc.open_file(_readable(path, verify, (seals or {}).get(path))).read_all()
              for path in paths]
    if columns is not None:
        tables = [table.select(columns) for table in tables]
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def read_rows_with_ids(paths: list[str], columns: list[str], id_column: str,
                       ids: np.ndarray) -> Optional[pa.Table]:
    """The rows of IPC files whose `id_column` value is in `ids`, in file order, without a
    seal check (random access to a few rows). Only the id column of each record batch is
    read, then `columns` of the batches that hold wanted rows: on an object store a few
    range requests instead of the whole file (a file under WHOLE_READ_BYTES is read whole:
    one request is cheaper than several)."""
    pieces = []
    for path in paths:
        with fs.open_random(path) as handle:
            size = handle.seek(0, os.SEEK_END)  # known from opening it: no request
            handle.seek(0)
            source = pa.py_buffer(handle.read()) if size < WHOLE_READ_BYTES else \
                pa.PythonFile(handle, mode="r")
            schema = pa.ipc.open_file(source).schema
            only_ids = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(
                included_fields=[schema.get_field_index(id_column)]))
            hits = [(index, np.isin(only_ids.get_batch(index).column(0).to_numpy(), ids))
                    for index in range(only_ids.num_record_batches)]
            hits = [(index, hit) for index, hit in hits if hit.any()]
            if not hits:
                continue
            wanted = pa.ipc.open_file(source, options=pa.ipc.IpcReadOptions(
                included_fields=sorted(schema.get_field_index(name) for name in columns)))
            pieces.extend(pa.Table.from_batches([wanted.get_batch(index)]).filter(
                pa.array(hit)).select(columns) for index, hit in hits)
    if not pieces:
        return None
    return pa.concat_tables(pieces, promote_options="permissive")


def _readable(path: str, verify: bool, record: Optional[dict] = None):
    if fs.is_url(path):  # read whole: one request, and the bytes the seal is checked on
        return pa.py_buffer(checked_bytes(path, record) if verify else fs.read_bytes(path))
    if verify:
        check(path, record=record)
    return pa.memory_map(path)
