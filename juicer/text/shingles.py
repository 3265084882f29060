"""Shingles of normalized texts as byte spans of one buffer, hashed without a per-token
Python loop.

A shingle is `window` consecutive tokens joined as Data-Juicer joins them (" " between words
or punctuation-separated pieces, nothing between characters). Tokenizations: `space`
(Data-Juicer's: split on " " only), `punctuation` (split on Unicode punctuation),
`character`, and `cjk` (space-separated words, and each Han or kana character a word). After normalization every
shingle is a contiguous byte range of one buffer holding all texts of a batch, so tokens,
shingles and their hashes are computed with numpy over that buffer. Documents with fewer
tokens than the window are one shingle (the whole text), not zero: they are neither dropped
nor lumped together. Documents with no text left after normalization have no shingles.
"""
from __future__ import annotations

import hashlib
import re
import struct
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
import pyarrow as pa

TOKENIZATIONS = ("whitespace", "space", "punctuation", "character", "cjk")
# every character Python's str.split() splits on (str.isspace), for RE2 over a batch
WHITESPACE = (r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
              r"\x{202f}\x{205f}\x{3000}]")
# Han and kana: scripts written without spaces, where each character is a word of its own.
CJK_CHARACTER = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                           "\U00020000-\U0003134f]")
HASH_FUNCS = ("rolling64", "sha1")

_SPACE = 0x20
_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_BASE = 0x9E3779B97F4A7C15  # odd, so it has an inverse modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 1 << 64)
_CHUNK_BYTES = 1 << 19  # texts are hashed in chunks of about this many bytes (memory)


@dataclass
class Shingles:
    """The hashes of all shingles of a list of texts, grouped by document."""

    hashes: np.ndarray  # uint64, one per shingle, documents in order
    doc: np.ndarray  # int64 document index of each shingle (non-decreasing)
    count: int  # number of documents

    def has_shingles(self) -> np.ndarray:
        return np.bincount(self.doc, minlength=self.count) > 0

    def sets(self) -> list[np.ndarray]:
        """Per document, the sorted distinct shingle hashes."""
        bounds = np.searchsorted(self.doc, np.arange(self.count + 1))
        sets = []
        for i in range(self.count):
            values = np.sort(self.hashes[bounds[i]:bounds[i + 1]])
            distinct = np.ones(len(values), dtype=bool)
            np.not_equal(values[1:], values[:-1], out=distinct[1:])
            sets.append(values[distinct])
        return sets


def jaccard(sets: list[np.ndarray], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Jaccard similarity of the pairs (sets[left[i]], sets[right[i]]) of sorted sets."""
    result = np.empty(len(left), dtype=np.float64)
    for index, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
        a, b = sets[i], sets[j]
        if len(a) > len(b):
            a, b = b, a
        if not len(a):
            result[index] = 1.0 if not len(b) else 0.0
            continue
        position = np.minimum(np.searchsorted(b, a), len(b) - 1)
        common = int(np.count_nonzero(b[position] == a))
        result[index] = common / (len(a) + len(b) - common)
    return result


# ------------------------------------------------------------------ reference semantics


def rolling64(data: bytes) -> int:
    """The default shingle hash, byte for byte what `shingle_hashes` computes vectorized:
    a polynomial hash of the bytes modulo 2**64, finished with MurmurHash3's fmix64."""
    value = 0
    for byte in data:
        value = (value * _BASE + byte + 1) & _MASK64
    return fmix64(value ^ len(data))


def fmix64(value: int) -> int:
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & _MASK64
    value ^= value >> 33
    value = (value * 0xC4CEB53FE63FC8D5) & _MASK64
    return value ^ (value >> 33)


def sha1_hash32(data: bytes) -> int:
    """datasketch's and Data-Juicer's default: the first 4 bytes of SHA-1, little-endian."""
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


def reference_shingles(text: str, tokenization: str, window: int) -> set[bytes]:
    """The shingle set of one normalized text, written plainly (for tests and docs)."""
    if tokenization == "character":
        tokens, joiner = list(text), ""
    elif tokenization == "cjk":
        tokens, joiner = [t for t in _space_cjk(text).split(" ") if t], " "
    elif tokenization == "space":
        tokens, joiner = [t for t in text.split(" ") if t], " "
    elif tokenization == "whitespace":
        tokens, joiner = text.split(), " "
    else:
        tokens, joiner = punctuation_pattern().split(text), " "
    if not text or not tokens:
        return set()
    if len(tokens) < window:
        return {joiner.join(tokens).encode("utf-8")}
    return {joiner.join(tokens[i:i + window]).encode("utf-8")
            for i in range(len(tokens) - window + 1)}


@lru_cache(maxsize=None)
def punctuation_pattern() -> re.Pattern:
    """One Unicode punctuation character (category P*), like `regex`'s \\p{P}."""
    chars = "".join(chr(c) for c in range(sys.maxunicode + 1)
                    if unicodedata.category(chr(c)).startswith("P"))
    return re.compile("[" + "".join(f"\\U{ord(c):08x}" for c in chars) + "]")


# ------------------------------------------------------------------ vectorized


def shingle_hashes(texts: list[str], tokenization: str, window: int,
                   hash_func: str = "rolling64", whole_if_short: bool = True) -> Shingles:
    """Hashes of every shingle of every (already normalized) text. With `whole_if_short`
    false, texts with fewer tokens than the window have no shingles."""
    hashes, docs = [], []
    for start, end in _chunks(texts):
        buffer, offsets, separators = _canonical_buffer(texts[start:end], tokenization)
        tok_start, tok_end, tok_count = _token_spans(buffer, offsets, separators)
        sh_start, sh_end, sh_doc = _shingle_spans(tok_start, tok_end, tok_count, window,
                                                  whole_if_short)
        if hash_func == "sha1":
            data = buffer.tobytes()
            values = np.fromiter((sha1_hash32(data[s:e]) for s, e in zip(sh_start, sh_end)),
                                 dtype=_U64, count=len(sh_start))
        else:
            values = span_hashes(buffer, sh_start, sh_end)
        hashes.append(values)
        docs.append(sh_doc + start)
    if not hashes:
        return Shingles(np.zeros(0, _U64), np.zeros(0, np.int64), len(texts))
    return Shingles(np.concatenate(hashes), np.concatenate(docs), len(texts))


def _chunks(texts: list[str]):
    """Ranges of documents holding about _CHUNK_BYTES characters, to bound memory."""
    start, size = 0, 0
    for index, text in enumerate(texts):
        size += len(text)
        if size >= _CHUNK_BYTES:
            yield start, index + 1
            start, size = index + 1, 0
    if start < len(texts):
        yield start, len(texts)


def _canonical_buffer(texts: list[str], tokenization: str):
    """All texts as one UTF-8 buffer in which tokens are separated by one space (word modes),
    the offsets of each text in it, and the byte positions of the separators."""
    if tokenization in ("space", "cjk", "whitespace"):
        if tokenization == "cjk":
            texts = [_space_cjk(t) for t in texts]
        elif tokenization == "whitespace":  # every kind of white space becomes a space
            import pyarrow as pa
            import pyarrow.compute as pc

            texts = pc.replace_substring_regex(pa.array(texts, pa.large_string()),
                                               WHITESPACE, " ").to_pylist()
        buffer, offsets = _single_spaced(*_utf8(texts))
        return buffer, offsets, np.flatnonzero(buffer == _SPACE)
    if tokenization == "punctuation":
        # Punctuation becomes a marker byte absent from the texts, so the separators are
        # known, then the space that Data-Juicer's join puts there.
        marker = _free_control_char(texts)
        pattern = punctuation_pattern()
        buffer, offsets = _utf8([pattern.sub(marker, t) for t in texts])
        separators = np.flatnonzero(buffer == ord(marker))
        buffer = buffer.copy()
        buffer[separators] = _SPACE
        return buffer, offsets, separators
    if tokenization == "character":
        buffer, offsets = _utf8(texts)
        return buffer, offsets, None
    raise ValueError(f"unknown tokenization {tokenization!r}; one of {TOKENIZATIONS}")


def _single_spaced(buffer: np.ndarray, offsets: np.ndarray):
    """Each text as " ".join(its non-empty pieces between spaces): runs of spaces become one,
    leading and trailing ones go. Works on the space positions of all texts at once."""
    spaces = np.flatnonzero(buffer == _SPACE)
    if not len(spaces):
        return buffer, offsets
    doc = np.searchsorted(offsets, spaces, side="right") - 1
    new_run = np.r_[True, (np.diff(spaces) != 1) | (doc[1:] != doc[:-1])]
    run = np.cumsum(new_run) - 1
    run_last = spaces[np.r_[np.flatnonzero(new_run)[1:] - 1, len(spaces) - 1]]
    # the first space of a run between two words stays
    stays = new_run & (spaces != offsets[doc]) & (run_last[run] + 1 != offsets[doc + 1])
    keep = np.ones(len(buffer), dtype=bool)
    keep[spaces[~stays]] = False
    removed = np.bincount(doc[~stays], minlength=len(offsets) - 1)
    return buffer[keep], offsets - np.concatenate([[0], np.cumsum(removed)])


def _space_cjk(text: str) -> str:
    return CJK_CHARACTER.sub(r" \g<0> ", text)


def _free_control_char(texts: list[str]) -> str:
    for code in range(1, 32):
        if not any(chr(code) in t for t in texts):
            return chr(code)
    raise ValueError("the texts contain every ASCII control character; cannot tokenize "
                     "on punctuation")


def _utf8(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    array = pa.array(texts, pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[:len(texts) + 1].copy()
    data = array.buffers()[2]
    buffer = np.frombuffer(data, dtype=np.uint8)[:offsets[-1]] if data is not None and \
        offsets[-1] else np.zeros(0, np.uint8)
    return buffer, offsets


def _token_spans(buffer: np.ndarray, offsets: np.ndarray, separators: Optional[np.ndarray]):
    """Byte start and end of every token, and the number of tokens of each text. Without
    separators every character is a token."""
    doc_start, doc_end = offsets[:-1], offsets[1:]
    if separators is None:
        starts = np.flatnonzero((buffer & 0xC0) != 0x80).astype(np.int64)
        ends = np.append(starts[1:], len(buffer)).astype(np.int64)
        counts = np.searchsorted(starts, doc_end) - np.searchsorted(starts, doc_start)
        return starts, ends, counts
    separators = separators.astype(np.int64)
    nonempty = doc_end > doc_start
    counts = np.searchsorted(separators, doc_end) - np.searchsorted(separators, doc_start)
    counts = np.where(nonempty, counts + 1, 0)
    # Tokens are ordered and do not overlap: merging the sorted starts (and ends) pairs them.
    starts = _merge(separators + 1, doc_start[nonempty])
    ends = _merge(separators, doc_end[nonempty])
    return starts, ends, counts


def _merge(sorted_values: np.ndarray, more: np.ndarray) -> np.ndarray:
    return np.insert(sorted_values, np.searchsorted(sorted_values, more), more)


def _shingle_spans(tok_start, tok_end, tok_count, window: int, whole_if_short: bool = True):
    """Each run of `window` tokens within a text; a text with fewer tokens is one shingle."""
    docs = np.repeat(np.arange(len(tok_count), dtype=np.int64), tok_count)
    first = np.concatenate([[0], np.cumsum(tok_count)[:-1]]).astype(np.int64)
    index = np.arange(len(docs), dtype=np.int64)
    last_of_doc = (first + tok_count - 1)[docs]
    full = index + window - 1 <= last_of_doc
    short = (tok_count > 0) & (tok_count < window) & whole_if_short
    starts = np.concatenate([tok_start[index[full]], tok_start[first[short]]])
    ends = np.concatenate([tok_end[index[full] + window - 1],
                           tok_end[(first + tok_count - 1)[short]]])
    doc = np.concatenate([docs[full], np.flatnonzero(short)])
    order = np.argsort(doc, kind="stable")
    return starts[order], ends[order], doc[order]


_POWERS: dict[int, np.ndarray] = {}


def _powers(base: int, length: int) -> np.ndarray:
    """base**0 .. base**(length-1) modulo 2**64 (or more), grown as needed and kept per
    process (at least 1,024, so that many small buffers do not regrow it one by one)."""
    length = max(1024, length)
    cached = _POWERS.get(base)
    if cached is None or len(cached) < length:
        powers = np.full(length, base, dtype=_U64)
        powers[0] = 1
        with np.errstate(over="ignore"):
            cached = _POWERS[base] = np.cumprod(powers, dtype=_U64)
    return cached


def span_hashes(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """rolling64 of buffer[s:e] for every span, from prefix sums of byte * BASE**-position:
    sum(b_i * BASE**(e-1-i)) = BASE**(e-1) * (prefix[e] - prefix[s]), all modulo 2**64."""
    with np.errstate(over="ignore"):
        prefix = _weighted_prefix(buffer)
        value = prefix[ends]
        value -= prefix[starts]
        del prefix
        value *= _powers(_BASE, len(buffer) + 1)[ends - 1]
        value ^= (ends - starts).astype(_U64)
        return fmix64_array(value)


def window_hashes(buffer: np.ndarray, n: int) -> np.ndarray:
    """span_hashes of every run of n consecutive items, buffer[i:i+n] for i = 0 ..
    len(buffer) - n: the same values, from slices instead of gathers."""
    length = len(buffer)
    if length < n:
        return np.zeros(0, dtype=_U64)
    with np.errstate(over="ignore"):
        prefix = _weighted_prefix(buffer)
        value = prefix[n:] - prefix[:-n]
        del prefix
        value *= _powers(_BASE, length + 1)[n - 1:length]
        value ^= _U64(n)
        return fmix64_array(value)


def _weighted_prefix(buffer: np.ndarray) -> np.ndarray:
    """prefix[i] = sum((b_j + 1) * BASE**-j for j < i), modulo 2**64, built in place."""
    prefix = np.zeros(len(buffer) + 1, dtype=_U64)
    weights = prefix[1:]
    weights[:] = buffer
    with np.errstate(over="ignore"):
        weights += _U64(1)
        weights *= _powers(_BASE_INVERSE, len(buffer) + 1)[:len(buffer)]
        np.cumsum(weights, out=weights)
    return prefix


def fmix64_array(value: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        value = value ^ (value >> _U64(33))  # a new array: the caller's stays as it was
        value *= _U64(0xFF51AFD7ED558CCD)
        value ^= value >> _U64(33)
        value *= _U64(0xC4CEB53FE63FC8D5)
        value ^= value >> _U64(33)
    return value


def hash_strings(strings: pa.Array) -> np.ndarray:
    """rolling64 of every string's UTF-8 bytes (nulls hash as empty strings)."""
    strings = strings.cast(pa.large_string())
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if len(strings) == 0:
        return np.zeros(0, _U64)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[
        strings.offset:strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    buffer = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    base = int(offsets[0])
    buffer = buffer[base:int(offsets[-1])]
    return span_hashes(buffer, offsets[:-1] - base, offsets[1:] - base)


def seen_before(doc: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Per item: whether an earlier item of the same document has the same hash."""
    with np.errstate(over="ignore"):
        key = hashes ^ (doc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    _, first = np.unique(key, return_index=True)
    repeat = np.ones(len(key), dtype=bool)
    repeat[first] = False
    return repeat
