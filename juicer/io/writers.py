"""Atomic writes: every file is written under a temporary name and renamed into place (or
uploaded whole, to a URL), so a reader (or a resumed run) never sees half a file."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from juicer.errors import JuicerError
from juicer.io import fs
from juicer.io.integrity import SealedFile, check, checked_bytes, place, temporary_for

ROW_GROUP_ROWS = 8 * 1024
WHOLE_READ_BYTES = 8 * 2**20


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside `path` (in local scratch for a URL); put it at `path`
    (renamed durably, or uploaded) when the block succeeds."""
    temporary = temporary_for(path)
    try:
        yield temporary
        place(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(data, path: str) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False, sort_keys=False)
            handle.write("\n")


def write_text(text: str, path: str) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)


def write_table(table: pa.Table, path: str, fmt: str, compression: str = "zstd") -> None:
    """Write one output file. Same table in, same bytes out: row groups have a fixed size and
    the JSON writer is independent of how the table is chunked."""
    with TableWriter(path, fmt, compression, table.schema) as writer:
        writer.write(table)


class TableWriter:
    """Write a file piece by piece with bounded memory. Parquet row groups are cut every
    ROW_GROUP_ROWS rows whatever the pieces, so the bytes depend only on the rows."""

    def __init__(self, path: str, fmt: str, compression: str, schema: pa.Schema):
        self.path, self.fmt, self.schema = path, fmt, schema
        self.compression = None if compression == "none" else compression
        self.pending: list[pa.Table] = []
        self.pending_rows = 0

    def __enter__(self) -> "TableWriter":
        self._atomic = atomic_path(self.path)
        temporary = self._atomic.__enter__()
        if self.fmt == "parquet":
            self._parquet = pq.ParquetWriter(temporary, self.schema, compression=self.compression)
        elif self.fmt == "arrow":
            # an IPC file (random access, what `.arrow` input and other Arrow tools read);
            # uncompressed, so it can be memory-mapped
            self._handle = open(temporary, "wb")
            self._ipc = pa.ipc.new_file(self._handle, self.schema)
        else:
            self._handle = open(temporary, "wb")
        return self

    def write(self, table: pa.Table) -> None:
        if self.fmt == "arrow":
            if table.num_rows:
                self._ipc.write_table(conform(table, self.schema), max_chunksize=ROW_GROUP_ROWS)
            return
        if self.fmt != "parquet":
            if table.num_rows:
                import polars as pl

                pl.from_arrow(json_ready(table), rechunk=True).write_ndjson(self._handle)
            return
        self.pending.append(table)
        self.pending_rows += table.num_rows
        while self.pending_rows >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        combined = pa.concat_tables(self.pending)
        group, rest = combined.slice(0, rows), combined.slice(rows)
        self._parquet.write_table(group.combine_chunks(), row_group_size=ROW_GROUP_ROWS)
        self.pending, self.pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
        del combined, group
        pa.default_memory_pool().release_unused()  # keep the process small between groups

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                if self.fmt == "parquet":
                    if self.pending_rows:
                        self._flush(self.pending_rows)
                    self._parquet.close()
                else:
                    if self.fmt == "arrow":
                        self._ipc.close()
                    self._handle.close()
            else:
                (self._parquet if self.fmt == "parquet" else self._handle).close()
        finally:
            self._atomic.__exit__(kind, value, traceback)


def _has_binary(kind: pa.DataType) -> bool:
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or \
            pa.types.is_fixed_size_binary(kind) or pa.types.is_binary_view(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_binary(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
            pa.types.is_fixed_size_list(kind):
        return _has_binary(kind.value_type)
    if pa.types.is_map(kind):
        return _has_binary(kind.key_type) or _has_binary(kind.item_type)
    return False


def json_ready(table: pa.Table) -> pa.Table:
    """JSON has no bytes: binary values (a carried Parquet `binary` field) are written as
    base64 strings, the usual JSON spelling of bytes; everything else as it is."""
    for index, field in enumerate(table.schema):
        if _has_binary(field.type):
            table = table.set_column(index, field.name,
                                     pa.array(_base64(table.column(index).to_pylist())))
    return table


def _base64(value):
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [_base64(item) for item in value]
    if isinstance(value, tuple):  # map entries
        return tuple(_base64(item) for item in value)
    if isinstance(value, dict):
        return {key: _base64(item) for key, item in value.items()}
    return value


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


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns: missing ones as nulls, types promoted."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            columns.append(column if column.type == field.type else column.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def unify(schemas: list[pa.Schema]) -> Optional[pa.Schema]:
    schemas = [s for s in schemas if s is not None]
    if not schemas:
        return None
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise JuicerError(f"the input's fields do not have one type each: {exc}",
                          hint="give each field one JSON type in every record (or null)"
                          ) from None


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


MARKER_SEAL = "__marker_crc32__"


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


def read_json(path: str):
    if fs.is_url(path):
        return json.loads(fs.read_bytes(path))
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


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
