"""Read a shard as Arrow tables, whatever its files' formats: each piece goes to its
format's reader (juicer.io.jsonl, .parquet, .tables for Arrow and CSV/TSV, .documents for
text, lines and WARC). Every record that cannot be read is quarantined with its file, line
(JSONL) or row (Parquet) and the reason, and the rest goes on (juicer.io.records)."""
from __future__ import annotations

from typing import Iterator

import pyarrow.parquet as pq

from juicer.io import documents, fs, jsonl, parquet, tables
from juicer.io.compressed import DamagedStream
from juicer.io.shards import Shard, detect_format, split_into_shards
from juicer.io.records import ReadResult, open_stream

_READERS = {"parquet": parquet.read_parquet, "arrow": tables.read_arrow,
            "csv": tables.read_csv, "tsv": tables.read_csv, "warc": documents.read_warc,
            "lines": documents.read_lines}


def read_shard(shard: Shard, text_field: str) -> Iterator[ReadResult]:
    for piece in shard.pieces:
        kind = piece.format.split(".")[0]
        if kind == "txt":
            yield documents.read_text_file(piece, text_field)
        else:
            yield from _READERS.get(kind, jsonl.read_jsonl)(piece, text_field)


def count_records(path: str, text_unit: str = "file") -> int:
    """Documents in one input file: Parquet rows from its footer, lines of JSONL and of text
    read by line (decompressed), one per text file, and for the other formats the records
    a read finds (good or quarantined)."""
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
               for shard in split_into_shards([path], 2**62) for result in read_shard(shard, ""))
