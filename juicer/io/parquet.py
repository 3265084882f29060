"""Parquet: a piece is a range of row groups, read one group at a time so that a damaged
group costs only its own rows; row ids come from the row number (juicer.io.shards)."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from juicer.core.batch import ROW_ID
from juicer.io import fs, progress
from juicer.io.shards import Piece
from juicer.core.row_ids import PARQUET_ROW_BITS, POSITION_BITS
from juicer.io.records import RESERVED, ReadResult, quarantine_record, text_as_string


def read_parquet(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    source = fs.open_binary(piece.path) if fs.is_url(piece.path) else piece.path
    file_base = piece.file_index << POSITION_BITS
    try:
        handle = pq.ParquetFile(source)
    except Exception as exc:  # noqa: BLE001 - a footer that cannot be read (truncated file)
        yield ReadResult(None, [quarantine_record(
            file_base, piece.path, None, None, f"not a readable Parquet file ({exc}); without "
            "its footer none of its rows can be recovered", b"")])
        return
    with handle:
        end = handle.metadata.num_row_groups if piece.end < 0 else piece.end
        yield from _parquet_groups(handle, piece, list(range(piece.start, end)), text_field)


def _parquet_groups(handle: pq.ParquetFile, piece: Piece, groups: list[int],
                    text_field: str) -> Iterator[ReadResult]:
    meta = handle.metadata
    row = sum(meta.row_group(g).num_rows for g in range(piece.start))
    file_base = piece.file_index << POSITION_BITS
    for group in groups:  # one at a time: a damaged row group costs only itself
        batches = handle.iter_batches(row_groups=[group], batch_size=65536, use_threads=False)
        group_start = row
        try:
            for batch in batches:
                table = pa.Table.from_batches([batch])
                table = table.drop_columns([c for c in RESERVED if c in table.column_names])
                row_ids = pa.array((np.arange(row, row + table.num_rows, dtype=np.int64)
                                    << PARQUET_ROW_BITS) + file_base)
                table = table.add_column(0, ROW_ID, row_ids)
                table, quarantine = text_as_string(table, text_field, piece.path, row, file_base)
                row += batch.num_rows
                yield ReadResult(table, quarantine)
            progress.count(meta.row_group(group).total_byte_size)  # as io.shards sizes it
        except (OSError, pa.ArrowException) as exc:
            first = row
            row = group_start + meta.row_group(group).num_rows
            yield ReadResult(None, [quarantine_record(
                file_base + (first << PARQUET_ROW_BITS), piece.path, None, first,
                f"row group {group} is damaged ({exc}): rows {first}-{row - 1} cannot be read",
                b"")])
