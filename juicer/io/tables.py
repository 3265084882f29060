"""Read the table formats that number rows: Arrow IPC (files and streams, which is what
Hugging Face `save_to_disk` writes) and CSV/TSV. A row's id is its row number << 16, as for
Parquet; a row that cannot be read is quarantined with its file, row and reason."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from juicer.core.batch import ROW_ID
from juicer.io import fs, progress
from juicer.io.compressed import DamagedStream
from juicer.io.shards import Piece
from juicer.core.row_ids import PARQUET_ROW_BITS, POSITION_BITS
from juicer.io.records import (RESERVED, ReadResult, open_stream, quarantine_record,
                               text_as_string)

BATCH_ROWS = 65536


def _with_row_ids(table: pa.Table, file_base: int, rows: np.ndarray) -> pa.Table:
    table = table.drop_columns([c for c in RESERVED if c in table.column_names])
    return table.add_column(0, ROW_ID, pa.array((rows.astype(np.int64) << PARQUET_ROW_BITS)
                                                 + file_base))


# ---------------------------------------------------------------- Arrow IPC


def read_arrow(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    file_base = piece.file_index << POSITION_BITS
    row = 0
    try:
        for row, batch in _arrow_batches(piece):
            if batch.num_rows == 0:
                continue
            table = _with_row_ids(pa.Table.from_batches([batch]), file_base,
                                  np.arange(row, row + batch.num_rows))
            table, quarantine = text_as_string(table, text_field, piece.path, row, file_base)
            row += batch.num_rows
            yield ReadResult(table, quarantine)
    except (OSError, pa.ArrowException) as exc:  # truncated or damaged: keep what was whole
        yield ReadResult(None, [quarantine_record(
            file_base + (row << PARQUET_ROW_BITS), piece.path, None, row,
            f"the Arrow file is damaged after row {row - 1} ({exc})", b"")])


def _arrow_batches(piece: Piece) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(number of the batch's first row in the file, batch)."""
    with fs.arrow_source(piece.path) as source:
        row = 0
        is_file = source.read(6) == b"ARROW1"
        source.seek(0)
        if piece.end < 0 and is_file:
            try:
                pa.ipc.open_file(source)
            except pa.ArrowInvalid:
                # no footer (a file cut short): its batches are a stream after the magic
                source.seek(8)
                is_file = False
            else:
                source.seek(0)
        if piece.end < 0 and not is_file:  # a stream
            for batch in pa.ipc.open_stream(source):
                progress.count(batch.nbytes)  # as io.shards sizes Arrow pieces
                yield row, batch
                row += batch.num_rows
            return
        reader = pa.ipc.open_file(source)
        start, end = (0, reader.num_record_batches) if piece.end < 0 else (piece.start, piece.end)
        row = sum(reader.get_batch(i).num_rows for i in range(start))
        for index in range(start, end):
            batch = reader.get_batch(index)
            progress.count(batch.nbytes)
            yield row, batch
            row += batch.num_rows


# ---------------------------------------------------------------- CSV / TSV


def read_csv(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    """Every column is read as text (CSV has no types), so that one odd value cannot stop a
    file; rows with the wrong number of fields and values that are not UTF-8 are
    quarantined with their row number (0 = the first row after the header)."""
    delimiter = "\t" if piece.format == "tsv" else ","
    columns = _csv_columns(piece.path, delimiter)
    if columns is None:
        return
    bad: dict[int, str] = {}

    def skip(row: pcsv.InvalidRow) -> str:
        # row.number counts the header as row 1
        bad[row.number - 2] = (f"expected {row.expected_columns} fields, found "
                               f"{row.actual_columns}: {row.text[:200]}")
        return "skip"

    file_base = piece.file_index << POSITION_BITS
    stream = WholeLinesUntilDamage(open_stream(piece.path))
    reader = pcsv.open_csv(
        stream,
        read_options=pcsv.ReadOptions(use_threads=False, block_size=8 * 2**20),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                        invalid_row_handler=skip),
        convert_options=pcsv.ConvertOptions(column_types={c: pa.binary() for c in columns},
                                            strings_can_be_null=False,
                                            quoted_strings_can_be_null=False))
    next_row, reported = 0, set()
    for batch in reader:
        rows, next_row = _rows_skipping(next_row, batch.num_rows, bad)
        quarantine = [quarantine_record(file_base + (number << PARQUET_ROW_BITS), piece.path,
                                        None, number, error, "")
                      for number, error in sorted(bad.items())
                      if number < next_row and number not in reported]
        reported.update(entry["row"] for entry in quarantine)
        table = _with_row_ids(pa.Table.from_batches([batch]), file_base, rows)
        table = _utf8_columns(table, text_field)
        table, bad_text = text_as_string(table, text_field, piece.path, 0, file_base,
                                         row_numbers=rows)
        yield ReadResult(table, quarantine + bad_text)
    rest = [quarantine_record(file_base + (number << PARQUET_ROW_BITS), piece.path, None,
                              number, error, "")
            for number, error in sorted(bad.items()) if number not in reported]
    if stream.damage is not None:  # every whole row before it was read
        rest.append(quarantine_record(file_base + (next_row << PARQUET_ROW_BITS), piece.path,
                                      None, next_row, f"the compressed stream is damaged after "
                                      f"row {next_row - 1}: {stream.damage}", ""))
    if rest:
        yield ReadResult(None, rest)


class WholeLinesUntilDamage:
    """A stream's bytes up to the last line break before damage, then a clean end (the
    damage kept in `.damage`): Arrow's CSV reader would lose the whole block it was
    reading, and keep a row cut in half as if whole."""

    def __init__(self, stream):
        self.stream, self.pending, self.damage, self.closed = stream, b"", None, False

    def read(self, size: int = -1) -> bytes:
        while self.damage is None:
            try:
                chunk = self.stream.read(size if size and size > 0 else 2**20)
            except DamagedStream as exc:
                self.damage, self.pending = exc, b""
                return b""
            if not chunk:
                out, self.pending = self.pending, b""
                return out
            data = self.pending + chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                out, self.pending = data[:cut], data[cut:]
                return out
            self.pending = data
        return b""

    def close(self) -> None:
        self.closed = True
        self.stream.close()


def _csv_columns(path: str, delimiter: str):
    """The header's column names, or None for an empty file."""
    try:
        reader = pcsv.open_csv(WholeLinesUntilDamage(open_stream(path)),
                               parse_options=pcsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=lambda _: "skip"),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=2**20))
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return None
        raise
    return reader.schema.names


def _rows_skipping(start: int, count: int, bad: dict[int, str]) -> tuple[np.ndarray, int]:
    """The row numbers of `count` good rows from `start` on, passing over the bad ones."""
    rows = []
    number = start
    while len(rows) < count:
        if number not in bad:
            rows.append(number)
        number += 1
    return np.array(rows, dtype=np.int64), number


def _utf8_columns(table: pa.Table, text_field: str) -> pa.Table:
    """Binary columns other than the text become strings. Their bytes are kept as they
    are: a row where one is not UTF-8 is quarantined by text_as_string, never altered."""
    for index, name in enumerate(table.column_names):
        column = table.column(name)
        if name == text_field or not pa.types.is_binary(column.type):
            continue
        column = pa.chunked_array([chunk.view(pa.string()) for chunk in column.chunks],
                                  pa.string())
        table = table.set_column(index, name, column)
    return table
