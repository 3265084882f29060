"""Split the inputs into shards: units of work small enough for one worker.

Plain JSONL files are cut into byte ranges (a line belongs to the range holding its first
byte), Parquet files into groups of row groups, compressed JSONL stays whole (it cannot be
entered in the middle) and is streamed. Small pieces are grouped up to the shard size.
Every document gets a row id = file index << 43 | position: the byte offset of its line in
the uncompressed stream, or its row number in a Parquet file shifted left by 16 bits. It
is stable whatever the shard size, and the ids between one document's and the next are
free for rows derived from it (text_chunk_mapper numbers chunk k of a document id + k: a
JSONL line has at least one byte per character, a Parquet row 65,536 ids).
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import pyarrow.parquet as pq

from juicer.errors import InputError

POSITION_BITS = 43
PARQUET_ROW_BITS = 16  # ids per Parquet row, for rows derived from one document
MAX_PARQUET_ROWS = 1 << (POSITION_BITS - PARQUET_ROW_BITS)


def split_row_id(row_id: int) -> tuple[int, int]:
    """(file index, position) of a row id."""
    return row_id >> POSITION_BITS, row_id & ((1 << POSITION_BITS) - 1)
FORMATS = {
    ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl.gz", ".json.gz": "jsonl.gz", ".jsonl.zst": "jsonl.zst",
    ".json.zst": "jsonl.zst", ".parquet": "parquet",
}


def detect_format(path: str) -> str | None:
    name = path.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def expand_paths(patterns: list[str]) -> list[str]:
    """Files named by paths, directories (searched recursively) and globs; sorted, unique."""
    found: list[str] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = [os.path.join(root, name) for root, _, names in os.walk(pattern)
                       for name in names if detect_format(name)]
        elif any(ch in pattern for ch in "*?["):
            matches = [p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)]
        elif os.path.isfile(pattern):
            matches = [pattern]
        else:
            raise InputError(f"input path '{pattern}' does not exist")
        if not matches:
            raise InputError(f"input '{pattern}' matches no file with a supported suffix "
                             f"({', '.join(sorted(FORMATS))})")
        for path in sorted(matches):
            if detect_format(path) is None:
                raise InputError(f"input file '{path}' has an unsupported suffix; supported: "
                                 f"{', '.join(sorted(FORMATS))}")
            if path not in found:
                found.append(path)
    if len(found) >= 2 ** (63 - POSITION_BITS):
        raise InputError(f"{len(found)} input files is more than one run can number")
    return found


@dataclass(frozen=True)
class Piece:
    """Part of one file: a byte range (jsonl), row groups [start, end) (parquet), or the
    whole stream (compressed jsonl, start=0, end=-1)."""

    file_index: int
    path: str
    format: str
    start: int
    end: int
    size: int  # bytes, for grouping

    def first_row_id(self) -> int:
        return (self.file_index << POSITION_BITS) | (self.start if self.format == "jsonl" else 0)


@dataclass
class Shard:
    index: int
    pieces: list[Piece] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pieces)

    def describe(self) -> str:
        return ", ".join(f"{p.path}[{p.start}:{p.end}]" for p in self.pieces)


def plan_shards(files: list[str], shard_size: int) -> list[Shard]:
    pieces: list[Piece] = []
    for file_index, path in enumerate(files):
        pieces.extend(_pieces_of(file_index, path, shard_size))
    shards: list[Shard] = []
    current = Shard(0)
    for piece in pieces:
        if current.pieces and current.size + piece.size > shard_size:
            shards.append(current)
            current = Shard(len(shards))
        current.pieces.append(piece)
    if current.pieces:
        shards.append(current)
    return shards


def _pieces_of(file_index: int, path: str, shard_size: int) -> list[Piece]:
    fmt = detect_format(path)
    size = os.path.getsize(path)
    if fmt == "jsonl":
        if size == 0:
            return [Piece(file_index, path, fmt, 0, 0, 0)]
        return [Piece(file_index, path, fmt, start, min(start + shard_size, size),
                      min(shard_size, size - start)) for start in range(0, size, shard_size)]
    if fmt == "parquet":
        try:
            meta = pq.ParquetFile(path).metadata
        except Exception as exc:
            raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
        if meta.num_rows >= MAX_PARQUET_ROWS:
            raise InputError(f"{path}: {meta.num_rows:,} rows; one Parquet input file may hold "
                             f"at most {MAX_PARQUET_ROWS - 1:,}: split it into several files")
        out, start, acc = [], 0, 0
        for group in range(meta.num_row_groups):
            acc += meta.row_group(group).total_byte_size
            if acc >= shard_size:
                out.append(Piece(file_index, path, fmt, start, group + 1, acc))
                start, acc = group + 1, 0
        if start < meta.num_row_groups or not out:
            out.append(Piece(file_index, path, fmt, start, meta.num_row_groups, acc))
        return out
    return [Piece(file_index, path, fmt, 0, -1, size * 4)]
