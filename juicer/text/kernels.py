"""Shared vectorized text kernels over Arrow string arrays.

Each kernel reproduces a Python `str` semantic (isalnum, splitlines, strip, ...) exactly, so
operators keep Data-Juicer's decisions while running in Arrow's C++ (RE2) instead of a Python
loop. The equivalence is tested code point by code point in tests/test_kernels.py.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# str.splitlines() boundaries; "\r\n" counts as one.
LINE_BREAK = r"\r\n|[\n\r\x{0B}\x{0C}\x{1C}\x{1D}\x{1E}\x{85}\x{2028}\x{2029}]"
# str.isalnum(): letters and every character with a numeric value.
ALNUM_CLASS = r"\pL\pN"


def char_class(chars) -> str:
    """The body of an RE2 character class matching exactly `chars`."""
    return "".join(f"\\x{{{ord(c):X}}}" for c in sorted(set(chars)))


@lru_cache(maxsize=None)
def python_whitespace() -> str:
    """Characters for which str.isspace() is true (what str.strip() removes)."""
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


@lru_cache(maxsize=None)
def asset_chars(name: str) -> frozenset[str]:
    """A character set shipped in juicer/assets: one hex code point or range (`XXXX-YYYY`)
    per line, # comments."""
    text = resources.files("juicer").joinpath("assets", name).read_text("utf-8")
    chars = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        low, _, high = line.partition("-")
        if all(c in "0123456789ABCDEFabcdef" for c in low + high):
            chars.update(chr(c) for c in range(int(low, 16), int(high or low, 16) + 1))
    return frozenset(chars)


def special_characters() -> frozenset[str]:
    """Data-Juicer's special characters (punctuation, digits, whitespace, symbols, emoji)."""
    return asset_chars("special_characters.txt")


@lru_cache(maxsize=None)
def class_table(predicate_name: str) -> np.ndarray:
    """A lookup table over all code points: True where the character is in the class.
    `predicate_name` is a str method ("isalnum", "isspace", ...), "special", or the name of
    a character-set asset ("datatrove_punctuation.txt")."""
    if predicate_name == "special" or predicate_name.endswith(".txt"):
        chars = special_characters() if predicate_name == "special" else asset_chars(predicate_name)
        table = np.zeros(sys.maxunicode + 1, dtype=bool)
        table[[ord(c) for c in chars]] = True
        return table
    method = getattr(str, predicate_name)
    return np.fromiter((method(chr(c)) for c in range(sys.maxunicode + 1)), dtype=bool,
                       count=sys.maxunicode + 1)


def code_points(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Every character of every string as one int32 array, and per-row offsets into it.

    Decoding runs in CPython's codec (C speed) over the whole batch at once; per-character
    classes then cost one table lookup and a cumulative sum, several times faster than a
    Python loop or an RE2 match per character."""
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)
    offsets = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if len(text) == 0 or offsets[-1] == 0:
        return np.zeros(0, dtype=np.int32), offsets
    byte_offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=len(text) + 1,
                                 offset=text.offset * 4)
    start, end = int(byte_offsets[0]), int(byte_offsets[-1])
    raw = memoryview(text.buffers()[2])[start:end]
    decoded = bytes(raw).decode("utf-8").encode("utf-32-le")
    return np.frombuffer(decoded, dtype=np.int32), offsets


# Python lowers these by context (final sigma) or into two code points (U+0130)
_LOWER_BY_PYTHON = (0x3A3, 0x130)


@lru_cache(maxsize=None)
def lower_table() -> np.ndarray:
    """str.lower of each code point taken alone, for all code points but _LOWER_BY_PYTHON
    (which map to themselves here): Python's own mapping, built by lowering one string of
    every code point, so it follows this interpreter's Unicode version."""
    table = np.arange(sys.maxunicode + 1, dtype=np.int32)
    chosen = np.ones(len(table), dtype=bool)
    chosen[0xD800:0xE000] = False  # surrogates are not characters
    chosen[list(_LOWER_BY_PYTHON)] = False
    points = np.flatnonzero(chosen).astype(np.int32)
    text = points.tobytes().decode("utf-32-le")
    lowered = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.int32)
    if len(lowered) != len(points):  # some other character lowers into several
        raise RuntimeError("str.lower changed the length of the code point table")
    table[points] = lowered
    return table


def lowered_code_points(text: pa.Array, code_points_and_offsets=None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """code_points(str.lower of every string), from the strings' code points by one table
    lookup; only strings holding a character Python lowers by context go through Python."""
    cps, offsets = code_points_and_offsets if code_points_and_offsets is not None \
        else code_points(text)
    lowered = lower_table()[cps]
    sigma, dotted_i = _LOWER_BY_PYTHON
    found = np.flatnonzero((cps == sigma) | (cps == dotted_i))
    if len(found) == 0:
        return lowered, offsets
    by_python = np.unique(np.searchsorted(offsets, found, side="right") - 1)
    redone_cps, redone_offsets = code_points(pa.array(
        [value.lower() for value in text.take(pa.array(by_python)).to_pylist()], pa.string()))
    lengths = np.diff(offsets)
    lengths[by_python] = np.diff(redone_offsets)
    pieces = [lowered[offsets[i]:offsets[i + 1]] for i in range(len(lengths))]
    for position, row in enumerate(by_python):
        pieces[row] = redone_cps[redone_offsets[position]:redone_offsets[position + 1]]
    new_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    return np.concatenate(pieces) if pieces else lowered, new_offsets


def sum_per_segment(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per-row sums of a flat array, rows given by offsets (empty rows give 0)."""
    cumulative = np.zeros(len(flags) + 1, dtype=np.int64)
    np.cumsum(flags, out=cumulative[1:])
    return cumulative[offsets[1:]] - cumulative[offsets[:-1]]


def count_in_class(code_points_and_offsets: tuple[np.ndarray, np.ndarray],
                   table: np.ndarray) -> np.ndarray:
    """How many characters of each row fall in the class given by `table`."""
    cps, offsets = code_points_and_offsets
    return sum_per_segment(table[cps], offsets)


def count_tokens_with(code_points_and_offsets: tuple[np.ndarray, np.ndarray],
                      separators: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per row, how many tokens (maximal runs of non-separator characters) contain at least
    one `wanted` character. Separators must not be `wanted`."""
    cps, offsets = code_points_and_offsets
    n_rows = len(offsets) - 1
    if len(cps) == 0:
        return np.zeros(n_rows, dtype=np.int64)
    is_sep = separators[cps]
    previous_is_sep = np.empty_like(is_sep)
    previous_is_sep[0] = True
    previous_is_sep[1:] = is_sep[:-1]
    row_starts = offsets[:-1][offsets[:-1] < len(cps)]
    previous_is_sep[row_starts] = True
    token_start = ~is_sep & previous_is_sep
    token_id = np.cumsum(token_start) - 1
    n_tokens = int(token_start.sum())
    hits = wanted[cps]
    token_has = np.bincount(token_id[hits], minlength=n_tokens) > 0
    token_row = np.searchsorted(offsets, np.flatnonzero(token_start), side="right") - 1
    return np.bincount(token_row[token_has], minlength=n_rows).astype(np.int64)


def char_length(text: pa.Array) -> np.ndarray:
    """Length in code points (len(str))."""
    return pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)


def count_matches(text: pa.Array, pattern: str) -> np.ndarray:
    """Non-overlapping matches of an RE2 pattern in each string."""
    return pc.count_substring_regex(text, pattern).to_numpy(zero_copy_only=False).astype(np.int64)


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """numerator / denominator, `empty` where the denominator is 0 (0.0: Data-Juicer's
    convention)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(len(numerator), empty, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def line_count(text: pa.Array) -> np.ndarray:
    """len(text.splitlines()): one line per break, plus one unless the text ends with a break."""
    breaks = count_matches(text, LINE_BREAK)
    ends_with_break = pc.match_substring_regex(text, f"(?:{LINE_BREAK})$")
    trailing = ends_with_break.to_numpy(zero_copy_only=False).astype(np.int64)
    nonempty = char_length(text) > 0
    return np.where(nonempty, breaks + 1 - trailing, 0)


def line_lengths(text: pa.Array) -> pa.ListArray:
    """Length of each line per document, split as str.splitlines() does (a trailing empty
    piece after a final break is kept; it has length 0 and does not change max or sum)."""
    pieces = pc.split_pattern_regex(text, LINE_BREAK)
    lengths = pc.utf8_length(pieces.flatten())
    return pa.ListArray.from_arrays(pieces.offsets, lengths)


def max_per_row(values: pa.ListArray) -> np.ndarray:
    """Largest element of each list; 0 for an empty list."""
    offsets = values.offsets.to_numpy()
    flat = values.values.to_numpy(zero_copy_only=False).astype(np.int64)
    out = np.zeros(len(values), dtype=np.int64)
    nonempty = offsets[1:] > offsets[:-1]
    if nonempty.any():
        starts = offsets[:-1][nonempty]
        out[nonempty] = np.maximum.reduceat(flat, starts) if len(flat) else 0
    return out


def sum_per_row(values: pa.ListArray) -> np.ndarray:
    """Sum of each list; 0 for an empty list."""
    offsets = values.offsets.to_numpy()
    flat = values.values.to_numpy(zero_copy_only=False).astype(np.int64)
    cumulative = np.concatenate([[0], np.cumsum(flat)])
    return cumulative[offsets[1:]] - cumulative[offsets[:-1]]


def strip_python_whitespace(text: pa.Array) -> pa.Array:
    """str.strip() with no arguments, on every string."""
    ws = char_class(python_whitespace())
    return pc.replace_substring_regex(text, f"^[{ws}]+|[{ws}]+$", "")


@lru_cache(maxsize=64)
def chars_table(chars: str) -> np.ndarray:
    """A lookup table over all code points: True for the characters of `chars`."""
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table
