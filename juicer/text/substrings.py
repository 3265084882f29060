"""Exact repeated substrings across documents, without a suffix array over the corpus.

Anchors are content-defined: the byte positions whose next `window` bytes hash to 0 modulo
`spacing`. They depend only on the local content, so two copies of a span contain the same
anchors, and a span of `length` bytes has none with probability about
(1 - 1/spacing) ** (length - window) (e**-8 with the defaults). Documents meet where they
share an anchor hash; each later occurrence is then extended byte by byte against the first
one, so every span removed is an exact repeat of at least `length` bytes."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from juicer.text.shingles import _chunks, span_hashes, _utf8

START, END = "span_start", "span_end"


def anchor_parameters(length: int) -> tuple[int, int]:
    """(window, spacing) for a minimum span length in bytes."""
    window = max(8, min(32, length // 4))
    return window, max(2, (length - window) // 8)


def anchors(texts: list[str], length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document index, byte offset, hash) of every anchor of every text."""
    chunks = list(_chunks(texts))
    pieces = [_anchors(texts[start:end], length) for start, end in chunks]
    if not pieces:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64)
    return (np.concatenate([docs + start for (docs, _, _), (start, _) in zip(pieces, chunks)]),
            np.concatenate([p[1] for p in pieces]), np.concatenate([p[2] for p in pieces]))


def _anchors(texts: list[str], length: int):
    window, spacing = anchor_parameters(length)
    buffer, offsets = _utf8(texts)
    lengths = np.diff(offsets)
    count = np.maximum(lengths - window + 1, 0)
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    local = np.arange(len(docs), dtype=np.int64) - first[docs]
    starts = offsets[:-1][docs] + local
    hashes = span_hashes(buffer, starts, starts + window)
    chosen = hashes % np.uint64(spacing) == 0
    return docs[chosen], local[chosen], hashes[chosen]


def repeated_spans(texts: list[str], later: np.ndarray, at: np.ndarray, earlier: np.ndarray,
                   earlier_at: np.ndarray, length: int,
                   merge: bool = True) -> list[list[tuple[int, int]]]:
    """For each later document, the byte spans of at least `length` bytes that repeat
    earlier text, from anchor matches (later[i] at byte at[i] repeats earlier[i] at
    earlier_at[i]; indices into `texts`). Spans start and end on character boundaries;
    overlapping ones are merged unless `merge` is false."""
    data = [t.encode("utf-8") for t in texts]
    found: dict[int, list[tuple[int, int]]] = {}
    reach: dict[int, int] = {}  # per document, the end of the repeats found so far
    for i in np.lexsort((at, later)).tolist():
        doc, position = int(later[i]), int(at[i])
        if position < reach.get(doc, -1):
            continue  # inside a repeat already found (anchors come in byte order)
        a, b = data[doc], data[int(earlier[i])]
        start, end = _char_bounds(a, *_extend(a, b, position, int(earlier_at[i])))
        if end - start >= length:
            found.setdefault(doc, []).append((start, end))
            reach[doc] = max(reach.get(doc, -1), end)
    spans = [sorted(found.get(doc, [])) for doc in range(len(texts))]
    return [_merged(s) for s in spans] if merge else spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _extend(a: bytes, b: bytes, p: int, q: int) -> tuple[int, int]:
    """The maximal [start, end) around a[p], b[q] where a and b agree (empty if a[p] != b[q])."""
    x, y = np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8)
    right = min(len(x) - p, len(y) - q)
    differ = np.flatnonzero(x[p:p + right] != y[q:q + right])
    forward = int(differ[0]) if len(differ) else right
    if forward == 0:
        return p, p
    left = min(p, q)
    differ = np.flatnonzero(x[p - left:p][::-1] != y[q - left:q][::-1])
    backward = int(differ[0]) if len(differ) else left
    return p - backward, p + forward


def _char_bounds(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) to whole UTF-8 characters."""
    while start < end and (data[start] & 0xC0) == 0x80:
        start += 1
    while end > start and end < len(data) and (data[end] & 0xC0) == 0x80:
        end -= 1
    return start, end


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    data = text.encode("utf-8")
    kept, position = [], 0
    for start, end in spans:
        kept.append(data[position:start])
        position = end
    kept.append(data[position:])
    return b"".join(kept).decode("utf-8")


def spans_table(row_ids: np.ndarray, spans: list[list[tuple[int, int]]]) -> pa.Table:
    rows = [(int(row), s, e) for row, doc_spans in zip(row_ids, spans) for s, e in doc_spans]
    return pa.table({"__row_id__": pa.array([r[0] for r in rows], pa.int64()),
                     START: pa.array([r[1] for r in rows], pa.int64()),
                     END: pa.array([r[2] for r in rows], pa.int64())})
