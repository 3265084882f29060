"""JSON Lines: a piece of a file is read in blocks of whole lines. Fast path: a whole block
is parsed by pyarrow. When that block has any problem (bad JSON, invalid UTF-8, mixed types,
values Arrow would change), it is parsed again line by line, so that only the bad lines are
quarantined and the others' values are carried unchanged (juicer.io.carry)."""
from __future__ import annotations

import io
import json
from typing import Iterator, Optional

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from juicer.core.batch import ROW_ID
from juicer.io import carry
from juicer.io.shards import Piece
from juicer.core.row_ids import POSITION_BITS
from juicer.io.records import (RESERVED, ReadResult, blocks, count_newlines, invalid_text_rows,
                               quarantine_record, record_problem)


def read_jsonl(piece: Piece, text_field: str) -> Iterator[ReadResult]:
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
