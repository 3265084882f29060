"""Lines and paragraphs of a batch of texts, hashed after normalization, vectorized in
Arrow: the shared kernel of the segment deduplicators."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.text.kernels import strip_python_whitespace
from juicer.text.shingles import hash_strings


@dataclass
class Segments:
    """Every segment of every text: its text, its document and the hash it is compared by
    (0 for segments exempt from deduplication)."""

    pieces: pa.Array  # the segments, all documents' in order
    doc: np.ndarray  # int64 document index of each segment
    hashes: np.ndarray  # uint64


def split_segments(texts: pa.Array, separator: str) -> tuple[pa.Array, np.ndarray]:
    lists = pc.split_pattern(texts.fill_null(""), separator)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    offsets = np.asarray(lists.offsets)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(offsets))
    return lists.flatten(), doc


def segment_hashes(pieces: pa.Array, *, lowercase: bool, ignore_pattern: str | None,
                   exempt_pattern: str | None, min_length: int) -> np.ndarray:
    """Hash of each normalized, stripped segment; 0 where the segment is exempt."""
    normalized = pieces
    if lowercase:
        normalized = pc.utf8_lower(normalized)
    if ignore_pattern:
        normalized = pc.replace_substring_regex(normalized, ignore_pattern, "")
    normalized = strip_python_whitespace(normalized)
    hashes = hash_strings(normalized)
    exempt = np.asarray(pc.utf8_length(strip_python_whitespace(pieces))) < min_length
    if exempt_pattern:
        exempt |= np.asarray(pc.match_substring_regex(pieces, exempt_pattern))
    hashes[hashes == 0] = 1  # 0 means "exempt"
    hashes[exempt] = 0
    return hashes


def rejoin(pieces: pa.Array, doc: np.ndarray, keep: np.ndarray, count: int,
           separator: str) -> list[str]:
    """The texts again, from their kept segments."""
    kept = pieces.filter(pa.array(keep)).to_pylist()
    kept_doc = doc[keep]
    bounds = np.searchsorted(kept_doc, np.arange(count + 1))
    return [separator.join(kept[bounds[i]:bounds[i + 1]]) for i in range(count)]
