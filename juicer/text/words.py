"""Words and n-gram statistics for a whole batch at once.

A word is identified by a 64-bit hash of its code points (juicer.text.shingles.span_hashes), so
counting, n-gram repetition and word-list membership are numpy operations over flat arrays
instead of a per-document Python `Counter`. Two different words share a hash with
probability about 2**-64 per pair; counting packs the document into the top bits of the
key, which leaves 2**-(64 - document bits) per pair of grams of one document, and falls
back to full keys where that could matter (`_packable`). The tests compare every
statistic with a plain Python formulation on the real sample.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np
import pyarrow as pa

from juicer.text import kernels
from juicer.text.shingles import fmix64_array, span_hashes, window_hashes

# Data-Juicer splits documents into words on these three characters only.
_WORD_SEPARATORS = np.zeros(0x110000, dtype=bool)
_WORD_SEPARATORS[[ord(" "), ord("\n"), ord("\t")]] = True


_DOC_MULTIPLIER = np.uint64(0xD6E8FEB86659FD93)


@dataclass
class Words:
    """Every word of every document: its hash and its document, documents in order."""

    hashes: np.ndarray  # uint64
    doc: np.ndarray  # int64, non-decreasing
    count: int  # number of documents
    lengths: Optional[np.ndarray] = None  # characters of each word, where known

    def per_document(self) -> np.ndarray:
        return np.bincount(self.doc, minlength=self.count).astype(np.int64)

    def ngrams(self, n: int) -> "Words":
        """Each run of `n` consecutive words of one document, hashed as a sequence."""
        if n == 1:
            return self
        starts = np.arange(max(len(self.hashes) - n + 1, 0))
        same_doc = self.doc[starts] == self.doc[starts + n - 1] if len(starts) else starts
        starts = starts[same_doc.astype(bool)]
        return Words(span_hashes(self.hashes, starts, starts + n), self.doc[starts], self.count)

    def count_in(self, vocabulary: np.ndarray) -> np.ndarray:
        """Per document, how many of its words are in `vocabulary` (hashes, see hash_words)."""
        hits = np.isin(self.hashes, vocabulary)
        return np.bincount(self.doc[hits], minlength=self.count).astype(np.int64)


def of_batch(batch, field: str) -> Words:
    """The refined words of a batch's text field, computed once for all operators (words
    from a language's segmenter: juicer.text.segmenters.words_of_batch)."""
    return batch.view("refined_words", field, lambda: refined_words(
        batch.text(field), batch.code_points(field)))


def refined_words(text: pa.Array, code_points=None) -> Words:
    """Data-Juicer's refined words: split on space, newline and tab, lowercase, strip its
    special characters from both ends of each piece, drop pieces left empty."""
    # Python's str.lower, as Data-Juicer uses it (Arrow's utf8_lower differs on ~80 code
    # points: U+0130, recent Unicode additions, the final sigma)
    cps, offsets = kernels.lowered_code_points(text, code_points)
    return _stripped_tokens(cps, offsets, _WORD_SEPARATORS, kernels.class_table("special"))


def _stripped_tokens(cps: np.ndarray, offsets: np.ndarray, separators: np.ndarray,
                     strip: np.ndarray) -> Words:
    """Tokens are runs of non-separator characters; each is cut down to the span from its
    first to its last character not in `strip`; tokens with no such character vanish."""
    n_docs = len(offsets) - 1
    if len(cps) == 0:
        return Words(np.zeros(0, np.uint64), np.zeros(0, np.int64), n_docs)
    is_sep = separators[cps]
    previous_is_sep = np.empty_like(is_sep)
    previous_is_sep[0] = True
    previous_is_sep[1:] = is_sep[:-1]
    previous_is_sep[offsets[:-1][offsets[:-1] < len(cps)]] = True  # each document starts anew
    token_start = ~is_sep & previous_is_sep
    token_id = np.cumsum(token_start, dtype=np.int64)
    kept = np.flatnonzero(_kept_table(separators, strip)[cps])
    if len(kept) == 0:
        return Words(np.zeros(0, np.uint64), np.zeros(0, np.int64), n_docs)
    tokens = token_id[kept]
    boundary = np.ones(len(kept) + 1, dtype=bool)  # a new token starts at each True
    np.not_equal(tokens[1:], tokens[:-1], out=boundary[1:-1])
    starts, ends = kept[boundary[:-1]], kept[boundary[1:]] + 1
    doc = np.searchsorted(offsets, starts, side="right") - 1
    return Words(span_hashes(cps, starts, ends), doc.astype(np.int64), n_docs, ends - starts)


_KEPT_TABLES: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _kept_table(separators: np.ndarray, strip: np.ndarray) -> np.ndarray:
    """Code points that are neither separators nor stripped, one lookup per character.
    (The cache holds the two tables, so their ids stay theirs.)"""
    key = (id(separators), id(strip))
    if key not in _KEPT_TABLES:
        _KEPT_TABLES[key] = (separators, strip, ~separators & ~strip)
    return _KEPT_TABLES[key][2]


def hash_words_in_order(words: list[str]) -> np.ndarray:
    """The hash `Words` gives each of these words, in order."""
    if not words:
        return np.zeros(0, np.uint64)
    cps, offsets = kernels.code_points(pa.array(words, pa.string()))
    return span_hashes(cps, offsets[:-1], offsets[1:])


def hash_words(words: Iterable[str]) -> np.ndarray:
    """The hashes `Words` gives these words (for vocabulary membership)."""
    return np.unique(hash_words_in_order([w for w in words if w]))


def char_repetition(text: pa.Array, n: int, code_points=None,
                    chunk_chars: int = 1 << 20) -> np.ndarray:
    """top_repeated_share of the character n-grams of each document, computed over runs of
    documents holding about `chunk_chars` characters: one n-gram hash per character is
    eight bytes, and a batch's worth of them (plus the sort's copies) set the peak memory
    of a whole pipeline."""
    cps, offsets = code_points if code_points is not None else kernels.code_points(text)
    out = np.zeros(len(text))
    start = 0
    while start < len(text):
        stop = int(np.searchsorted(offsets, offsets[start] + chunk_chars, side="right"))
        stop = min(max(stop, start + 1), len(text))
        base = offsets[start]
        sub = (cps[base:offsets[stop]], offsets[start:stop + 1] - base)
        out[start:stop] = top_repeated_share(char_ngrams(None, n, sub))
        start = stop
    return out


def char_ngrams(text: pa.Array, n: int, code_points=None) -> Words:
    """Every run of `n` consecutive code points of each document, hashed."""
    cps, offsets = code_points if code_points is not None else kernels.code_points(text)
    n_docs = len(offsets) - 1
    windows = np.maximum(np.diff(offsets) - n + 1, 0)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), windows)
    if len(doc) == 0:
        return Words(np.zeros(0, np.uint64), doc, n_docs)
    # hash every window of the concatenated text, then keep those inside one document
    has_windows = windows > 0
    first = offsets[:-1][has_windows]
    boundary = np.zeros(len(cps) - n + 2, dtype=np.int8)
    boundary[first + windows[has_windows]] = -1
    boundary[first] += 1  # where one document's windows end as the next one's begin
    inside = np.cumsum(boundary[:-1], dtype=np.int8).view(bool)
    return Words(window_hashes(cps, n)[inside], doc, n_docs)


def frequencies(grams: Words) -> tuple[np.ndarray, np.ndarray]:
    """(document, count) of every distinct gram of every document, in no particular order."""
    if len(grams.hashes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    doc_bits = _packable(grams)
    if doc_bits:
        key, hash_bits = _packed_keys(grams, doc_bits)
        starts = _run_starts(key)
        return (key[starts] >> hash_bits).astype(np.int64), _run_lengths(starts, len(key))
    return _frequencies_salted(grams)


def repeated_grams(grams: Words) -> tuple[np.ndarray, np.ndarray]:
    """(document, count) of every gram seen more than once in its document: in prose most
    grams are seen once, so this touches far fewer values than `frequencies`."""
    if len(grams.hashes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    doc_bits = _packable(grams)
    if not doc_bits:
        doc, count = _frequencies_salted(grams)
        return doc[count > 1], count[count > 1]
    key, hash_bits = _packed_keys(grams, doc_bits)
    repeat = np.flatnonzero(key[1:] == key[:-1])  # key[i + 1] repeats key[i]
    if len(repeat) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    new_gram = np.ones(len(repeat), dtype=bool)
    np.not_equal(repeat[1:], repeat[:-1] + 1, out=new_gram[1:])
    first = np.flatnonzero(new_gram)
    count = np.diff(first, append=len(repeat)) + 1
    return (key[repeat[first]] >> hash_bits).astype(np.int64), count.astype(np.int64)


def _packable(grams: Words) -> int:
    """The bits a packed key gives the document, or 0 where the salted sort is needed."""
    doc_bits = max(1, (grams.count - 1).bit_length())
    per_document = grams.per_document().astype(np.float64)
    # Two grams of one document share a packed key when their hashes agree in the top
    # 64 - doc_bits bits: expected collisions sum(m**2) / 2**(65 - doc_bits).
    if doc_bits <= 32 and float(per_document @ per_document) < 2.0 ** (45 - doc_bits):
        return doc_bits
    return 0


def _packed_keys(grams: Words, doc_bits: int) -> tuple[np.ndarray, np.uint64]:
    """The document in the top bits and the gram hash below it, in one uint64, sorted:
    numpy's vectorized sort of a plain integer array is several times faster than
    sorting pairs."""
    hash_bits = np.uint64(64 - doc_bits)
    key = grams.hashes >> np.uint64(doc_bits)
    key |= grams.doc.astype(np.uint64) << hash_bits
    key.sort()
    return key, hash_bits


def _frequencies_salted(grams: Words) -> tuple[np.ndarray, np.ndarray]:
    """For batches where one document holds most grams: a full 64-bit key mixing document
    and gram, two documents' grams sharing one with probability 2**-64 per pair."""
    import polars as pl

    # (The document goes through a different function than the gram hashes, fmix64 of
    # small values, so that document d and gram g never mirror gram d and document g.)
    with np.errstate(over="ignore"):
        salt = fmix64_array((grams.doc.astype(np.uint64) + np.uint64(1)) * _DOC_MULTIPLIER)
    key = grams.hashes ^ salt
    ordered = pl.DataFrame({"key": key, "doc": grams.doc}).sort("key")
    key, doc = ordered["key"].to_numpy(), ordered["doc"].to_numpy()
    starts = _run_starts(key)
    return doc[starts], _run_lengths(starts, len(key))


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    run_start = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=run_start[1:])
    return np.flatnonzero(run_start)


def _run_lengths(starts: np.ndarray, total: int) -> np.ndarray:
    return np.diff(starts, append=total).astype(np.int64)


def repeated_share(grams: Words) -> np.ndarray:
    """Per document, the share of its grams that occur more than once (Data-Juicer's
    word repetition ratio); 0.0 without grams."""
    doc, count = repeated_grams(grams)
    repeated = np.bincount(doc, weights=count, minlength=grams.count)
    return kernels.safe_ratio(repeated, grams.per_document())


def top_repeated_share(grams: Words) -> np.ndarray:
    """Per document, the share of its grams covered by its k most frequent distinct grams,
    k = min(floor(sqrt(distinct)), distinct grams seen more than once) (Data-Juicer's
    character repetition ratio, from the BigScience ROOTS filters); 0.0 without grams."""
    doc, count = repeated_grams(grams)
    total = grams.per_document()
    distinct = total - np.bincount(doc, weights=count - 1, minlength=grams.count).astype(np.int64)
    repeated = np.bincount(doc, minlength=grams.count)
    # integer square root: float sqrt can land just below an exact square
    root = np.sqrt(distinct).astype(np.int64)
    root += (root + 1) ** 2 <= distinct
    root -= root ** 2 > distinct
    k = np.minimum(root, repeated)
    # the k most frequent grams all occur more than once: rank only those
    doc, count = _by_document_most_frequent_first(doc, count)
    group_start = np.searchsorted(doc, np.arange(grams.count))
    rank = np.arange(len(doc)) - group_start[doc]
    top = rank < k[doc]
    covered = np.bincount(doc[top], weights=count[top], minlength=grams.count)
    return kernels.safe_ratio(covered, total)


def _by_document_most_frequent_first(doc: np.ndarray, count: np.ndarray):
    """Sorted by document, then by count descending (ties in any order)."""
    if len(count) and count.max() < 2 ** 32 and doc.max() < 2 ** 31:
        key = doc.astype(np.uint64) << np.uint64(32)
        key |= (np.uint64(2 ** 32 - 1) - count.astype(np.uint64))
        key.sort()
        return ((key >> np.uint64(32)).astype(np.int64),
                (np.uint64(2 ** 32 - 1) - (key & np.uint64(2 ** 32 - 1))).astype(np.int64))
    order = np.lexsort((-count, doc))
    return doc[order], count[order]


def augmented_words(text: pa.Array, group_sizes: list[int], join_char: str) -> Words:
    """Refined words plus, per document, each run of `size` consecutive refined words joined
    by `join_char`, for every size (Data-Juicer's word augmentation, for languages whose
    words are not separated by spaces). Builds Python strings: slower than refined_words."""
    special = "".join(kernels.special_characters())
    all_words, doc = [], []
    for index, value in enumerate(text.to_pylist()):
        pieces = (p.lower().strip(special) for p in value.replace("\t", " ").replace("\n", " ").split(" "))
        refined = [p for p in pieces if p]
        found = refined + [join_char.join(refined[i:i + size]) for size in group_sizes
                           for i in range(len(refined) - size + 1)]
        all_words += found
        doc += [index] * len(found)
    if not all_words:
        return Words(np.zeros(0, np.uint64), np.zeros(0, np.int64), len(text))
    cps, offsets = kernels.code_points(pa.array(all_words, pa.string()))
    return Words(span_hashes(cps, offsets[:-1], offsets[1:]), np.asarray(doc, np.int64), len(text))


def ngram_spans(doc, token_hash, token_length, n):
    """Start token, document, hash and length (characters of its tokens, without
    separators) of every run of n tokens within one document."""
    starts = np.arange(max(len(doc) - n + 1, 0))
    starts = starts[doc[starts] == doc[starts + n - 1]] if len(starts) else starts
    cumulative = np.concatenate([[0], np.cumsum(token_length)])
    length = cumulative[starts + n] - cumulative[starts]
    return starts, doc[starts], span_hashes(token_hash, starts, starts + n), length


def top_ngram_chars(doc, token_hash, token_length, n, count, spaces: bool,
                    min_count: int = 1) -> np.ndarray:
    """Per document: characters of its most frequent n-gram (with the n-1 joining spaces
    when `spaces`) times its count; among equally frequent ones the first to appear
    (Counter.most_common(1)); 0 when that count is below `min_count`."""
    import polars as pl

    starts, gram_doc, gram, length = ngram_spans(doc, token_hash, token_length, n)
    out = np.zeros(count)
    if len(starts) == 0:
        return out
    best = (pl.DataFrame({"doc": gram_doc, "gram": gram, "start": starts, "chars": length + (n - 1 if spaces else 0)})
            .group_by("doc", "gram").agg(pl.len().alias("n"), pl.col("start").min(),
                                          pl.col("chars").first())
            .sort(["doc", "n", "start"], descending=[False, True, False])
            .unique("doc", keep="first"))
    best = best.filter(pl.col("n") >= min_count)
    out[best["doc"].to_numpy()] = best["chars"].to_numpy() * best["n"].to_numpy()
    return out
