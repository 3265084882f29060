"""Split the inputs into shards: units of work small enough for one worker.

Plain JSONL and text-per-line files are cut into byte ranges (a line belongs to the range
holding its first byte), Parquet files into groups of row groups, Arrow IPC files into
groups of record batches; compressed files, CSV, Arrow streams (Hugging Face `save_to_disk`)
and WARC stay whole (they cannot be entered in the middle) and are streamed. Small pieces
are grouped up to the shard size. Every document gets a row id (juicer.core.row_ids) that is
stable whatever the shard size.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from typing import Optional

import pyarrow as pa
import pyarrow.parquet as pq

from juicer.errors import InputError, MissingInputError
from juicer.io import fs
from juicer.core.row_ids import MAX_PARQUET_ROWS, POSITION_BITS

FORMATS = {
    ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl.gz", ".json.gz": "jsonl.gz", ".jsonl.zst": "jsonl.zst",
    ".json.zst": "jsonl.zst", ".parquet": "parquet",
    ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow",
    ".csv": "csv", ".csv.gz": "csv", ".csv.zst": "csv",
    ".tsv": "tsv", ".tsv.gz": "tsv", ".tsv.zst": "tsv",
    # plain text: one document per file, or per line with input.text_unit: line
    ".txt": "txt", ".txt.gz": "txt.gz", ".txt.zst": "txt.zst",
    ".warc": "warc", ".warc.gz": "warc", ".wet": "warc", ".wet.gz": "warc",
}
# formats whose row ids number rows (row << PARQUET_ROW_BITS), not byte offsets
ROW_FORMATS = frozenset({"parquet", "arrow", "csv", "tsv"})
# formats whose row ids are byte offsets of lines in the (decompressed) stream
LINE_FORMATS = frozenset({"jsonl", "jsonl.gz", "jsonl.zst", "lines", "lines.gz", "lines.zst"})
# a Hugging Face `save_to_disk` folder: state.json lists its Arrow files in order
_HF_STATE, _HF_META = "state.json", frozenset({"state.json", "dataset_info.json",
                                               "dataset_dict.json"})


def detect_format(path: str) -> str | None:
    name = path.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def _folder_files(folder: str) -> list[str]:
    """Input files under a folder; a Hugging Face dataset folder gives its data files in the
    order state.json lists them (not its metadata .json files)."""
    found = []
    for root, names in fs.walk(folder):
        if _HF_STATE in names:
            try:
                with fs.open_binary(fs.join(root, _HF_STATE)) as handle:
                    listed = [entry["filename"] for entry in json.load(handle)["_data_files"]]
            except (OSError, ValueError, KeyError, TypeError):
                listed = None
            if listed is not None:
                found += [fs.join(root, name) for name in listed]
                continue
        found += [fs.join(root, name) for name in names
                  if detect_format(name) and name not in _HF_META]
    return found


def expand_paths(patterns: list[str], skip_under: Optional[str] = None) -> list[str]:
    """Files named by paths, directories (searched recursively) and globs; sorted, each
    file once by its real path. Files under `skip_under` (the run's output folder, when
    it lies inside an input folder) are left out."""
    found: list[str] = []
    seen: set[str] = set()
    for pattern in patterns:
        folder = fs.is_dir(pattern)
        if folder:
            matches = _folder_files(pattern)
        elif any(ch in pattern for ch in "*?["):
            matches = fs.glob(pattern)
        elif fs.is_file(pattern):
            matches = [pattern]
        else:
            raise MissingInputError(f"input path '{pattern}' does not exist",
                                    hint="input.paths is relative to the recipe's folder; check "
                                    "the spelling, or use a glob such as data/*.jsonl.gz")
        if not matches:
            raise MissingInputError(f"input '{pattern}' matches no file with a supported suffix "
                             f"({', '.join(sorted(FORMATS))})")
        for path in matches if folder else sorted(matches):
            if detect_format(path) is None:
                raise InputError(f"input file '{path}' has an unsupported suffix; supported: "
                                 f"{', '.join(sorted(FORMATS))}")
            if skip_under and _inside(path, skip_under):
                continue  # the run's own output, in an input folder
            real = _readable_file(path)
            if real not in seen:  # read once, however many links or patterns lead to it
                seen.add(real)
                found.append(path)
    if len(found) >= 2 ** (63 - POSITION_BITS):
        raise InputError(f"{len(found)} input files is more than one run can number")
    return found


def _readable_file(path: str) -> str:
    """The real path of an input file that can be read; an InputError naming it if it is
    not a regular file (a named pipe would block the run forever) or cannot be opened."""
    if fs.is_url(path):
        return path
    local = fs.local_path(path)
    real = os.path.realpath(local)
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        raise InputError(f"input file '{path}' cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) \
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"
        raise InputError(f"input '{path}' is {kind}, not a regular file", hint="Juicer "
                         "reads files it can measure and read again; copy the data to a file")
    if not os.access(real, os.R_OK):
        raise InputError(f"input file '{path}' cannot be read: permission denied")
    return real


def _inside(path: str, folder: str) -> bool:
    if fs.is_url(path) or fs.is_url(folder):
        return path.startswith(folder.rstrip("/") + "/")
    path, folder = os.path.realpath(fs.local_path(path)), os.path.realpath(fs.local_path(folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


COMPRESSION_GUESS = 4  # decompressed / compressed bytes of text, to group files into shards


@dataclass(frozen=True)
class Piece:
    """Part of one file: a byte range (jsonl, lines), row groups (parquet) or record batches
    (arrow) [start, end), or the whole stream (start=0, end=-1)."""

    file_index: int
    path: str
    format: str
    start: int
    end: int
    size: int  # bytes, for grouping

    @property
    def bytes_to_read(self) -> int:
        """The input bytes its reader consumes (the progress line's measure): a compressed
        file's own size, where `size` estimates its decompressed bytes."""
        if self.path.lower().endswith((".gz", ".zst")) and self.end < 0:
            return self.size // COMPRESSION_GUESS
        return self.size

    def first_row_id(self) -> int:
        return (self.file_index << POSITION_BITS) | (self.start if self.format in _SPLIT_BY_BYTES
                                                    else 0)


@dataclass
class Shard:
    index: int
    pieces: list[Piece] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pieces)

    @property
    def bytes_to_read(self) -> int:
        return sum(p.bytes_to_read for p in self.pieces)

    def describe(self) -> str:
        return ", ".join(f"{p.path}[{p.start}:{p.end}]" for p in self.pieces)


def split_into_shards(files: list[str], shard_size: int, text_unit: str = "file") -> list[Shard]:
    """`text_unit` says what a document is in a plain-text (.txt) file: the whole file or
    each non-empty line."""
    pieces: list[Piece] = []
    for file_index, path in enumerate(files):
        pieces.extend(_pieces_of(file_index, path, shard_size, text_unit))
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


_SPLIT_BY_BYTES = frozenset({"jsonl", "lines"})


def _pieces_of(file_index: int, path: str, shard_size: int, text_unit: str) -> list[Piece]:
    fmt = detect_format(path)
    if fmt.startswith("txt") and text_unit == "line":
        fmt = fmt.replace("txt", "lines")
    size = fs.size(path)
    if fmt in _SPLIT_BY_BYTES:
        if size == 0:
            return [Piece(file_index, path, fmt, 0, 0, 0)]
        return [Piece(file_index, path, fmt, start, min(start + shard_size, size),
                      min(shard_size, size - start)) for start in range(0, size, shard_size)]
    if fmt == "parquet":
        try:
            with fs.open_binary(path) as handle:
                meta = pq.ParquetFile(handle).metadata
        except Exception:  # noqa: BLE001 - damaged: the reader quarantines it as one entry
            return [Piece(file_index, path, fmt, 0, -1, size)]
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
    if fmt == "arrow" and not fs.is_url(path):  # a remote one is streamed whole
        return _arrow_pieces(file_index, path, shard_size)
    compressed = path.lower().endswith((".gz", ".zst"))
    return [Piece(file_index, path, fmt, 0, -1, size * COMPRESSION_GUESS if compressed else size)]


def _arrow_pieces(file_index: int, path: str, shard_size: int) -> list[Piece]:
    """An Arrow IPC file is cut between record batches; a stream (what Hugging Face
    `save_to_disk` writes) can only be read from its start, so it stays whole."""
    size = fs.size(path)
    try:
        with fs.arrow_source(path) as source:
            reader = pa.ipc.open_file(source)
            sizes = [reader.get_batch(i).nbytes for i in range(reader.num_record_batches)]
            rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:
        return [Piece(file_index, path, "arrow", 0, -1, size)]
    if rows >= MAX_PARQUET_ROWS:
        raise InputError(f"{path}: {rows:,} rows; one Arrow input file may hold at most "
                         f"{MAX_PARQUET_ROWS - 1:,}: split it into several files")
    out, start, acc = [], 0, 0
    for index, nbytes in enumerate(sizes):
        acc += nbytes
        if acc >= shard_size:
            out.append(Piece(file_index, path, "arrow", start, index + 1, acc))
            start, acc = index + 1, 0
    if start < len(sizes) or not out:
        out.append(Piece(file_index, path, "arrow", start, len(sizes), acc))
    return out
