"""What every format's reader shares: the result of a read (good records as a table, the
rest as quarantine entries), a file's decompressed stream and its blocks of whole lines, and
the checks that decide whether a record can be processed, with the entry each failure
becomes in quarantine/ (file, line or row, reason, the raw record)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Iterator, Optional

import numpy as np
import pyarrow as pa

from juicer.core import fields
from juicer.core.batch import DROP_REASON, ROW_ID, STATS
from juicer.errors import JuicerError
from juicer.io import carry, fs
from juicer.io.compressed import DamagedStream, decompressed
from juicer.io.shards import ROW_FORMATS, Piece
from juicer.io.progress import Metered
from juicer.core.row_ids import PARQUET_ROW_BITS, split_row_id

BLOCK_BYTES = 2 * 2**20
RAW_LIMIT = 2000  # characters of a bad record kept in quarantine
RESERVED = (ROW_ID, STATS, DROP_REASON)
QUARANTINE_SCHEMA = pa.schema([
    (ROW_ID, pa.int64()), ("file", pa.string()), ("line", pa.int64()), ("row", pa.int64()),
    ("error", pa.string()), ("raw", pa.string()),
])


@dataclass
class ReadResult:
    table: Optional[pa.Table]  # good records: __row_id__ + original fields
    quarantine: list[dict]


def open_stream(path: str) -> IO[bytes]:
    """A file's bytes (local or a URL), decompressed by its suffix (.gz, .zst)."""
    return decompressed(Metered(fs.open_binary(path)), path)


def blocks(piece: Piece) -> Iterator[tuple[int, bytes, Optional[str]]]:
    """(offset, block of whole lines, error) for the lines whose first byte is in the piece.
    A stream that breaks (truncated .gz) yields what it had, then its error."""
    whole = piece.end < 0
    stream = open_stream(piece.path)
    with stream:
        pos = 0
        if not whole and piece.start > 0:
            stream.seek(piece.start - 1)
            if stream.read(1) != b"\n":
                stream.readline()  # the line begun before us belongs to the previous piece
            pos = stream.tell()
        pending = b""
        while whole or pos < piece.end:
            try:
                chunk = stream.read(BLOCK_BYTES)
            except DamagedStream as exc:
                # every byte before the damage was given out; a line it cuts is lost with it
                yield pos, b"", f"the compressed stream is damaged after byte {pos}: {exc}"
                return
            data = pending + chunk
            if not chunk:
                if data:
                    yield pos, data, None
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data  # a line longer than a block: keep reading
                continue
            block, pending = data[: cut + 1], data[cut + 1:]
            if not whole and pos + len(block) > piece.end:
                # keep only the lines that start before the end of the piece
                keep_to = block.find(b"\n", max(piece.end - pos - 1, 0)) + 1
                yield pos, block[:keep_to], None
                return
            yield pos, block, None
            pos += len(block)


def count_newlines(path: str, upto: int) -> int:
    count = 0
    with fs.open_binary(path) as handle:
        while upto > 0:
            chunk = handle.read(min(upto, 16 * 2**20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            upto -= len(chunk)
    return count


def invalid_text_rows(table: pa.Table, text_field: str) -> dict[int, str]:
    """Row index -> reason, for rows whose text is missing, null or not a string (no text
    field given: every record is fine)."""
    if text_field is None:
        return {}
    if fields.is_path(table, text_field):
        return _invalid_path_rows(table, text_field)
    if text_field not in table.column_names:
        return {i: f"missing field '{text_field}'" for i in range(table.num_rows)}
    column = table.column(text_field)
    if not pa.types.is_string(column.type):
        return {i: f"field '{text_field}' is {column.type}, not a string"
                for i in range(table.num_rows)}
    if column.null_count == 0:
        return {}
    nulls = np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))
    return {int(i): f"field '{text_field}' is null or missing" for i in nulls}


def _invalid_path_rows(table: pa.Table, path: str) -> dict[int, str]:
    """For a text field given as a path (messages[-1].content): rows where it leads to no
    string."""
    try:
        values = fields.text_values(table, path)
    except JuicerError as exc:
        return {i: str(exc) for i in range(table.num_rows)}
    nulls = np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))
    return {int(i): f"'{path}' is missing or not a string" for i in nulls}


def record_problem(record, text_field: str,
                   not_a_record: str = "a line must hold a JSON object") -> Optional[str]:
    """Why a parsed record cannot be processed (not a mapping, text missing, null or not a
    string), or None."""
    if not isinstance(record, dict):
        return f"{not_a_record}, not {type(record).__name__}"
    if text_field is None:
        return None
    if text_field not in record and ("." in text_field or "[" in text_field):
        value = fields.record_value(record, text_field)
        if not isinstance(value, str):
            return f"'{text_field}' is missing or not a string"
        return None
    if text_field not in record:
        return f"missing field '{text_field}'"
    value = record[text_field]
    if value is None:
        return f"field '{text_field}' is null"
    if not isinstance(value, str):
        return f"field '{text_field}' is {type(value).__name__}, not a string"
    return None


def type_conflict(records: list[dict]) -> str:
    """Name a field whose values have different JSON types, and where."""
    first_kind: dict[str, tuple[str, int]] = {}
    for number, record in enumerate(records):
        for key, value in record.items():
            if value is None:
                continue
            kind = "number" if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else type(value).__name__
            seen = first_kind.setdefault(key, (kind, number))
            if seen[0] != kind:
                return (f"field '{key}' is {seen[0]} in record {seen[1] + 1} of the block but "
                        f"{kind} in record {number + 1}")
    return ""


def locate(row_id: int, path: Optional[str], fmt: Optional[str]
           ) -> tuple[Optional[int], Optional[int], str]:
    """Where a document is in its input file, for a person: (line, row, where). Its line in
    a plain JSONL or text-lines file (newlines counted now, since only a bad document needs
    it), its row in a table format; otherwise `where` names the byte of the decompressed
    stream."""
    position = split_row_id(row_id)[1]
    if fmt in ROW_FORMATS:
        return None, position >> PARQUET_ROW_BITS, ""
    if fmt in ("jsonl", "lines") and path:
        return count_newlines(path, position) + 1, None, ""
    return None, None, f" (document at byte {position} of the decompressed stream)"


def quarantine_record(row_id, path, line, row, error, raw) -> dict:
    """One quarantine entry; `raw` (bytes or text) is cut to RAW_LIMIT characters."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > RAW_LIMIT:
        text = text[:RAW_LIMIT] + f"... [{len(text) - RAW_LIMIT} more characters]"
    return {ROW_ID: row_id, "file": path, "line": line, "row": row,
            "error": printable(error), "raw": printable(text)}


def printable(text: str) -> str:
    """`text` with lone surrogates written as escapes, so that it can be written as UTF-8
    (a message may quote the bad value or key)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def text_as_string(table: pa.Table, text_field: str, path: str, first_row: int,
                   file_base: int, row_numbers=None):
    """Bring the text column to `string`, quarantining rows where that is impossible (text
    missing, null, not text, not UTF-8) and rows where another string column is not valid
    UTF-8. Rows are numbered first_row + index, or by `row_numbers` when given. The table
    is None when no row is left."""
    bad: dict[int, str] = {}
    if text_field in table.column_names:
        index = table.schema.get_field_index(text_field)
        column = table.column(text_field)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)  # a common Parquet encoding
        if pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
            column = column.cast(pa.string())
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type) or \
                pa.types.is_binary_view(column.type):
            values = [v if v is None else _utf8_or_none(v) for v in column.to_pylist()]
            bad = {i: "text is not valid UTF-8" for i, v in enumerate(values) if v is False}
            column = pa.array([None if v is False else v for v in values], pa.string())
        table = table.set_column(index, text_field, column)
    bad = {**carry.invalid_utf8_rows(table), **invalid_text_rows(table, text_field), **bad}
    table, quarantine = drop_bad_rows(table, bad, path, first_row, file_base, row_numbers)
    return (table if table.num_rows else None), quarantine


def _utf8_or_none(value: bytes):
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return False


def drop_bad_rows(table, bad_rows, path, first_row, file_base, row_numbers=None):
    if not bad_rows:
        return table, []
    keep = np.ones(table.num_rows, dtype=bool)
    keep[list(bad_rows)] = False
    quarantine = []
    for index, reason in sorted(bad_rows.items()):
        raw = raw_row(table, index)
        row = int(row_numbers[index]) if row_numbers is not None else first_row + index
        quarantine.append(quarantine_record(file_base + (row << PARQUET_ROW_BITS),
                                            path, None, row, reason, raw))
    return table.filter(pa.array(keep)), quarantine


def raw_row(table: pa.Table, index: int) -> bytes:
    """A quarantined row as JSON text, for people to read: invalid bytes replaced, values
    JSON lacks shown by their text."""
    row = table.slice(index, 1).drop_columns([ROW_ID])
    values = {}
    for name in row.column_names:
        try:
            values[name] = row.column(name).to_pylist()[0]
        except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
            buffers = [b for b in row.column(name).chunk(0).buffers() if b is not None]
            values[name] = buffers[-1].to_pybytes().decode("utf-8", "replace") if buffers \
                else None
    return json.dumps(values, ensure_ascii=False, default=_shown).encode("utf-8", "replace")


def _shown(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def quarantine_table(records: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=QUARANTINE_SCHEMA)
