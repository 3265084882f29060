"""Atomic writes: every file is written under a temporary name and renamed into place (or
uploaded whole, to a URL), so a reader (or a resumed run) never sees half a file."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Iterator, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from juicer.errors import JuicerError
from juicer.io import fs
from juicer.io.integrity import place, temporary_for

ROW_GROUP_ROWS = 8 * 1024


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


def read_json(path: str):
    if fs.is_url(path):
        return json.loads(fs.read_bytes(path))
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
