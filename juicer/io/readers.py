"""Read a shard as Arrow tables; every record that cannot be read is quarantined with its
file, line (JSONL) or row (Parquet) and the reason, and the rest goes on.

Fast path: a whole block of JSON lines is parsed by pyarrow. When that block has any
problem (bad JSON, invalid UTF-8, mixed types), it is parsed again line by line, so only the
bad lines are quarantined.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import IO, Iterator, Optional

import numpy as np
import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from juicer import fields
from juicer.errors import JuicerError
from juicer.batch import DROP_REASON, ROW_ID, STATS
from juicer.io import carry, fs, progress
from juicer.io.compressed import DamagedStream
from juicer.io.planner import PARQUET_ROW_BITS, POSITION_BITS, Piece, Shard

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


def read_shard(shard: Shard, text_field: str) -> Iterator[ReadResult]:
    from juicer.io import documents, tables

    readers = {"parquet": _read_parquet, "arrow": tables.read_arrow, "csv": tables.read_csv,
               "tsv": tables.read_csv, "warc": documents.read_warc}
    for piece in shard.pieces:
        kind = piece.format.split(".")[0]
        if kind == "txt":
            yield documents.read_text_file(piece, text_field)
        elif kind == "lines":
            yield from documents.read_lines(piece, text_field)
        else:
            yield from readers.get(kind, _read_jsonl)(piece, text_field)


# ---------------------------------------------------------------- JSONL


def open_stream(path: str) -> IO[bytes]:
    """A file's bytes (local or a URL), decompressed by its suffix (.gz, .zst)."""
    from juicer.io.compressed import decompressed
    from juicer.io.progress import Metered

    return decompressed(Metered(fs.open_binary(path)), path)


def _open_stream(piece: Piece) -> IO[bytes]:
    return open_stream(piece.path)


def blocks(piece: Piece) -> Iterator[tuple[int, bytes, Optional[str]]]:
    """(offset, block of whole lines, error) for the lines whose first byte is in the piece.
    A stream that breaks (truncated .gz) yields what it had, then its error."""
    whole = piece.end < 0
    stream = _open_stream(piece)
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


def _read_jsonl(piece: Piece, text_field: str) -> Iterator[ReadResult]:
    # Line numbers are only needed for bad records; count the newlines before this piece's
    # first line (which may start after piece.start) only when one turns up.
    lines_before: Optional[int] = 0 if piece.start == 0 or piece.end < 0 else None
    first_offset: Optional[int] = None
    newlines_seen = 0
    file_base = piece.file_index << POSITION_BITS

    def first_line_number() -> int:
        nonlocal lines_before
        if lines_before is None:
            lines_before = count_newlines(piece.path, first_offset)
        return lines_before + newlines_seen + 1

    for offset, block, stream_error in blocks(piece):
        if first_offset is None:
            first_offset = offset
        if stream_error:
            yield ReadResult(None, [quarantine_record(file_base + offset, piece.path, first_line_number(),
                                         None, stream_error, b"")])
            return
        if block:
            table = _fast_parse(block, offset, file_base, text_field)
            if table is not None:
                good, quarantine = table, []
                bad_rows = invalid_text_rows(good, text_field)
                if bad_rows:
                    good, quarantine = _split_bad_rows(good, bad_rows, piece, block, offset,
                                                       first_line_number(), text_field)
                yield ReadResult(good, quarantine)
            else:
                yield _slow_parse(block, offset, file_base, piece.path, first_line_number(),
                                  text_field)
            newlines_seen += block.count(b"\n")


def count_records(path: str, text_unit: str = "file") -> int:
    """Documents in one input file: Parquet rows from its footer, lines of JSONL and of text
    read by line (decompressed), one per text file, and for the other formats the records
    a read finds (good or quarantined)."""
    from juicer.io.planner import detect_format, plan_shards

    kind = detect_format(path)
    if kind == "parquet":
        with fs.open_binary(path) as handle:
            try:
                return pq.ParquetFile(handle).metadata.num_rows
            except Exception:  # noqa: BLE001 - unreadable: one quarantined entry, as read
                return 1
    if kind.startswith("txt") and text_unit == "file":
        return 1
    if kind.startswith(("jsonl", "txt")):
        count, last = 0, b"\n"
        with open_stream(path) as handle:
            try:
                while chunk := handle.read(16 * 2**20):
                    count += chunk.count(b"\n")
                    last = chunk[-1:]
            except DamagedStream:  # the reader's count: whole lines, then the damage as one
                return count + 1
        return count + (last != b"\n")
    return sum((result.table.num_rows if result.table is not None else 0)
               + len(result.quarantine)
               for shard in plan_shards([path], 2**62) for result in read_shard(shard, ""))


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


_BLANK = frozenset(b" \t\r\n")


def line_starts(block: bytes) -> np.ndarray:
    """Offsets in `block` of the lines that hold something other than whitespace."""
    raw = np.frombuffer(block, dtype=np.uint8)
    breaks = np.flatnonzero(raw == 10)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(raw)]])
    # almost every line starts with '{': only lines starting blank are looked at whole
    first = np.full(len(starts), 32, dtype=np.uint8)
    inside = starts < len(raw)
    first[inside] = raw[starts[inside]]
    has_content = ~np.isin(first, np.frombuffer(b" \t\r\n", dtype=np.uint8))
    for index in np.flatnonzero(~has_content):
        has_content[index] = any(byte not in _BLANK
                                 for byte in block[starts[index]:ends[index]])
    return starts[has_content]


def _fast_parse(block: bytes, offset: int, file_base: int, text_field: str) -> Optional[pa.Table]:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if offset == 0 and block.startswith(b"\xef\xbb\xbf"):
        return None  # a BOM: the slow path strips it and keeps line offsets right
    if carry.too_deep(block):
        return None
    read_options = pj.ReadOptions(use_threads=False, block_size=max(len(block) + 1, 1 << 20))
    try:
        table = pj.read_json(io.BytesIO(block), read_options=read_options)
        as_read = _without_timestamps(table.schema)
        if as_read != table.schema:
            # Arrow turns date-like strings into timestamps; fields are carried unchanged
            table = pj.read_json(io.BytesIO(block), read_options=read_options,
                                 parse_options=pj.ParseOptions(explicit_schema=as_read))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    starts = line_starts(block)
    if len(starts) != table.num_rows or carry.float_risk(table) or not carry.is_valid(table):
        return None
    table = table.drop_columns([c for c in RESERVED if c in table.column_names])
    if text_field in table.column_names:
        text = table.column(text_field)
        if pa.types.is_large_string(text.type):
            table = table.set_column(table.schema.get_field_index(text_field), text_field,
                                     text.cast(pa.string()))
    row_ids = pa.array(file_base + offset + starts.astype(np.int64), pa.int64())
    return table.add_column(0, ROW_ID, row_ids)


def _without_timestamps(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_type(_strings_for_timestamps(field.type)) for field in schema])


def _strings_for_timestamps(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([kind.field(i).with_type(_strings_for_timestamps(kind.field(i).type))
                          for i in range(kind.num_fields)])
    if pa.types.is_list(kind):
        return pa.list_(_strings_for_timestamps(kind.value_type))
    return kind


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


def _split_bad_rows(table, bad_rows, piece, block, offset, first_line, text_field):
    starts = line_starts(block)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[list(bad_rows)] = False
    quarantine = []
    for row, reason in bad_rows.items():
        start = int(starts[row])
        end = block.find(b"\n", start)
        raw = block[start: end if end >= 0 else len(block)]
        line = first_line + block.count(b"\n", 0, start)
        reason = record_problem(json.loads(raw), text_field) or reason  # the precise cause
        quarantine.append(quarantine_record(table.column(ROW_ID)[row].as_py(), piece.path, line, None,
                               reason, raw))
    good = table.filter(pa.array(keep))
    # a field only the quarantined records had must not appear as an all-null column
    only_in_bad = [name for name in good.column_names if good.num_rows and
                   good.column(name).null_count == good.num_rows and
                   table.column(name).null_count < table.num_rows]
    return good.drop_columns(only_in_bad), quarantine


def _slow_parse(block: bytes, offset: int, file_base: int, path: str, first_line: int,
                text_field: str) -> ReadResult:
    """Each line on its own: bad lines are quarantined, the rest make one table holding
    every field any of them has, with values carried unchanged (juicer.io.carry)."""
    records, where, quarantine = [], [], []
    position = 0
    for number, raw in enumerate(block.split(b"\n")):
        start, position = position, position + len(raw) + 1
        if offset == 0 and number == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        row_id, line = file_base + offset + start, first_line + number
        problem, record = _parsed_line(raw)
        if problem is None:
            problem = record_problem(record, text_field) or carry.value_problem(record)
        if problem:
            quarantine.append(quarantine_record(row_id, path, line, None, problem, raw))
            continue
        for reserved in RESERVED:
            record.pop(reserved, None)
        records.append(record)
        where.append((row_id, line, raw))

    def reject(index: int, reason: str) -> None:
        row_id, line, raw = where[index]
        quarantine.append(quarantine_record(row_id, path, line, None, reason, raw))

    table = carry.records_table(records, reject) if records else None
    if table is not None:
        rejected = {entry[ROW_ID] for entry in quarantine}
        row_ids = [row_id for row_id, _, _ in where if row_id not in rejected]
        table = table.add_column(0, ROW_ID, pa.array(row_ids, pa.int64()))
    quarantine.sort(key=lambda entry: entry[ROW_ID])
    return ReadResult(table, quarantine)


def _parsed_line(raw: bytes):
    """(None, value) or (why the line is not JSON, None)."""
    try:
        return None, carry.parse_record(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start} of the line", None
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (column {exc.colno})", None
    except carry.DuplicateKey as exc:
        return f"key '{exc}' appears twice in one object (which value is meant is unknown)", None
    except RecursionError:
        return f"nested deeper than {carry.MAX_NESTING} levels", None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return f"invalid JSON: {exc}", None


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


# ---------------------------------------------------------------- Parquet


def _read_parquet(piece: Piece, text_field: str) -> Iterator[ReadResult]:
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
            progress.count(meta.row_group(group).total_byte_size)  # as the planner sizes it
        except (OSError, pa.ArrowException) as exc:
            first = row
            row = group_start + meta.row_group(group).num_rows
            yield ReadResult(None, [quarantine_record(
                file_base + (first << PARQUET_ROW_BITS), piece.path, None, first,
                f"row group {group} is damaged ({exc}): rows {first}-{row - 1} cannot be read",
                b"")])


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
