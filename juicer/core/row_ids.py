"""Row identity. Every document gets a row id = file index << POSITION_BITS | position: the
byte offset of its line (or WARC record) in the file, or its row number in a table format
(Parquet, Arrow, CSV/TSV) shifted left by PARQUET_ROW_BITS. It is unique in a run and the
same whatever the executor, worker count or shard size, so everything keyed by it (output
order, dedup's surviving copy, samples, the random selector) is too. The ids between one
document's and the next are free for rows derived from it (text_chunk_mapper numbers chunk
k of a document id + k: a JSONL line has at least one byte per character, a table row
65,536 ids)."""
from __future__ import annotations

import numpy as np

from juicer.text.shingles import fmix64_array

POSITION_BITS = 43
PARQUET_ROW_BITS = 16  # ids per Parquet row, for rows derived from one document
MAX_PARQUET_ROWS = 1 << (POSITION_BITS - PARQUET_ROW_BITS)


def split_row_id(row_id: int) -> tuple[int, int]:
    """(file index, position) of a row id."""
    return row_id >> POSITION_BITS, row_id & ((1 << POSITION_BITS) - 1)


def priorities(row_ids: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit priority per row id (as int64 so it survives JSON): what samples
    and sampling pick by, so the same documents are picked on every run."""
    mixed = fmix64_array(np.asarray(row_ids, dtype=np.int64).view(np.uint64)
                         ^ np.uint64(0x9E3779B97F4A7C15))
    return (mixed >> np.uint64(1)).astype(np.int64)
