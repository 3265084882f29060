"""Pieces of text as NeMo Curator's heuristic filters cut them, for a whole batch at once:
words (`str.split()` of the stripped text), sentences (non-blank lines split on "\\n") and
paragraphs (split on "\\n\\n"). Each is a flat Arrow array of pieces plus the document of
each piece, so the filters compute their scores with Arrow and numpy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels
from juicer.text.shingles import hash_strings, seen_before


@dataclass
class Pieces:
    text: pa.Array  # one string per piece
    doc: np.ndarray  # document of each piece, non-decreasing
    count: int  # number of documents

    def per_document(self, flags=None) -> np.ndarray:
        """How many pieces (with the flag) each document has."""
        doc = self.doc if flags is None else self.doc[np.asarray(flags, dtype=bool)]
        return np.bincount(doc, minlength=self.count).astype(np.int64)

    def offsets(self) -> np.ndarray:
        return np.searchsorted(self.doc, np.arange(self.count + 1))

    def keep_documents(self, keep: np.ndarray) -> "Pieces":
        """The pieces of the kept documents, renumbered (Batch.filter carries costly views,
        such as spaCy's tokens, through a filter this way)."""
        new_index = np.cumsum(keep) - 1
        mask = keep[self.doc]
        return type(self)(self.text.filter(pa.array(mask)), new_index[self.doc[mask]],
                          int(keep.sum()))

    def sum_per_document(self, values) -> np.ndarray:
        return np.bincount(self.doc, weights=np.asarray(values, dtype=float), minlength=self.count)

    def lengths(self) -> np.ndarray:
        return kernels.char_length(self.text)

    def matches(self, pattern: str) -> np.ndarray:
        return pc.match_substring_regex(self.text, pattern).to_numpy(zero_copy_only=False)

    def repeated(self) -> np.ndarray:
        """Per piece: whether an earlier piece of the same document is equal to it."""
        return seen_before(self.doc, hash_strings(self.text))

    @classmethod
    def from_lists(cls, pieces: pa.ListArray) -> "Pieces":
        """One document per list (the result of an Arrow split)."""
        counts = np.diff(pieces.offsets.to_numpy())
        return cls(pieces.flatten(), np.repeat(np.arange(len(pieces)), counts), len(pieces))


def _split(text: pa.Array, pieces: pa.ListArray) -> Pieces:
    return Pieces.from_lists(pieces)


def words(text: pa.Array, lang: str = "en") -> Pieces:
    """NeMo Curator's words of `text.strip()`: maximal runs of non-whitespace characters;
    for Chinese jieba's segmentation (`list(jieba.cut(...))`, spaces included) and for
    Japanese MeCab's surface forms, as NeMo splits them."""
    if lang.lower() == "zh":
        return _segmented(text, _jieba_words)
    if lang.lower() == "ja":
        return _segmented(text, _mecab_words)
    ws = kernels.char_class(kernels.python_whitespace())
    pieces = _split(text, pc.split_pattern_regex(text, f"[{ws}]+"))
    keep = pc.greater(pc.binary_length(pieces.text), 0)
    return Pieces(pieces.text.filter(keep), pieces.doc[keep.to_numpy(zero_copy_only=False)],
                  pieces.count)


def _segmented(text: pa.Array, splitter) -> Pieces:
    try:
        split = splitter()
    except ImportError as exc:
        from juicer.errors import JuicerError

        raise JuicerError(f"Chinese and Japanese words need a segmenter ({exc.name}): "
                          f"pip install 'juicer-llm[cjk]'") from None
    found = [split(value.strip()) for value in text.to_pylist()]
    counts = np.array([len(f) for f in found], dtype=np.int64)
    return Pieces(pa.array([w for f in found for w in f], pa.string()),
                  np.repeat(np.arange(len(text)), counts), len(text))


def _jieba_words():
    import jieba

    jieba.setLogLevel(60)  # its dictionary-loading chatter
    return lambda value: list(jieba.cut(value))


def _mecab_words():
    import MeCab

    tagger = MeCab.Tagger()  # the dictionary of unidic-lite
    return lambda value: [line.split("\t")[0] for line in tagger.parse(value).strip().split("\n")
                          if line and line != "EOS"]


def sentences(text: pa.Array) -> Pieces:
    """Lines split on "\\n" that are not blank."""
    pieces = _split(text, pc.split_pattern(text, "\n"))
    blank = pc.equal(kernels.strip_python_whitespace(pieces.text), "")
    keep = pc.invert(blank)
    return Pieces(pieces.text.filter(keep), pieces.doc[keep.to_numpy(zero_copy_only=False)],
                  pieces.count)


def paragraphs(text: pa.Array) -> Pieces:
    """`text.split("\\n\\n")`, empty pieces included."""
    return _split(text, pc.split_pattern(text, "\n\n"))


def distinct_share(pieces: Pieces, by_chars: bool) -> np.ndarray:
    """Per document: distinct pieces / pieces, or characters of the distinct pieces /
    characters of all pieces; NaN where the denominator is 0."""
    is_first = ~pieces.repeated()
    if by_chars:
        lengths = pieces.lengths()
        return ratio(pieces.sum_per_document(lengths * is_first), pieces.sum_per_document(lengths))
    return ratio(pieces.per_document(is_first), pieces.per_document())


def duplicated(pieces: Pieces) -> tuple[np.ndarray, np.ndarray]:
    """Per document: the share of its pieces equal to an earlier piece (0.0 without
    pieces), and the characters of those repeats (Gopher's and FineWeb's duplicate counts)."""
    repeat = pieces.repeated()
    return (kernels.safe_ratio(pieces.per_document(repeat), pieces.per_document()),
            pieces.sum_per_document(pieces.lengths() * repeat))


def ratio(numerator, denominator, empty: float = np.nan) -> np.ndarray:
    """numerator / denominator, NaN (an undefined score) where the denominator is 0."""
    return kernels.safe_ratio(numerator, denominator, empty)


def char_ratio(text: pa.Array, count: np.ndarray) -> np.ndarray:
    """count / len(text), 1.0 for an empty text (NeMo's "remove if empty")."""
    return ratio(count, kernels.char_length(text), empty=1.0)


def stat(values: np.ndarray) -> pa.Array:
    """A float stat with NaN written as null."""
    values = np.asarray(values, dtype=float)
    return pa.array(values, mask=np.isnan(values))
