"""C4's line rules (Raffel et al. 2020, as datatrove's C4QualityFilter applies them), evaluated
for every line of a batch at once with Arrow kernels.

Per line, in order: drop it if a word is longer than `max_word_length`; remove Wikipedia
citations; drop it without terminal punctuation (. ? ! " ') or ending with "..."; drop it
with fewer than `min_words_per_line` words; "lorem ipsum" drops the document; drop it if it
mentions javascript; a curly bracket drops the document; drop it if it mentions a cookie or
terms-of-use policy. Kept lines are joined with line breaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels

_WS = kernels.char_class(kernels.python_whitespace())
CITATION = r"\[\p{Nd}*\]|\[edit\]|\[citation needed\]"
POLICY_SUBSTRINGS = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                     "use of cookies", "use cookies"]
NO_LINE = np.iinfo(np.int64).max


@dataclass
class C4Lines:
    lines: pa.Array  # every line, stripped, citations removed
    doc: np.ndarray  # document of each line
    kept: np.ndarray  # bool per line
    first_lorem_line: np.ndarray  # per document: index of the line that drops it, or NO_LINE
    first_curly_line: np.ndarray
    count: int

    def text(self) -> pa.Array:
        """Each document's kept lines joined by line breaks, stripped."""
        kept_doc = self.doc[self.kept]
        offsets = np.searchsorted(kept_doc, np.arange(self.count + 1)).astype(np.int32)
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), self.lines.filter(
            pa.array(self.kept))), "\n")
        return kernels.strip_python_whitespace(pc.fill_null(joined, ""))


def splitlines(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Every line of every document as str.splitlines() gives them, and their documents."""
    pieces = pc.split_pattern_regex(text, kernels.LINE_BREAK)
    counts = np.diff(pieces.offsets.to_numpy())
    # splitlines() has no empty last line after a final break, and none for an empty text
    ends_with_break = pc.match_substring_regex(text, f"(?:{kernels.LINE_BREAK})$").to_numpy(
        zero_copy_only=False) | (kernels.char_length(text) == 0)
    keep = np.ones(int(counts.sum()), dtype=bool)
    keep[(pieces.offsets.to_numpy()[1:] - 1)[ends_with_break & (counts > 0)]] = False
    doc = np.repeat(np.arange(len(text)), counts)
    return pieces.flatten().filter(pa.array(keep)), doc[keep]


def evaluate(text: pa.Array, params, lorem_and_curly_drop_lines: bool = False) -> C4Lines:
    """The verdict on every line; with `lorem_and_curly_drop_lines`, lines with "lorem ipsum"
    or a curly bracket are removed instead of dropping their document."""
    lines, doc = splitlines(text)
    lines = kernels.strip_python_whitespace(lines)
    words = kernels.count_matches(lines, f"[^{_WS}]+")
    dropped = np.zeros(len(lines), dtype=bool)
    if params.max_word_length != -1:
        dropped |= _longest_word(lines) > params.max_word_length
    if params.remove_citations:
        lines = pc.replace_substring_regex(lines, CITATION, "")
    if params.filter_no_terminal_punct:
        ends = _matches(lines, r"[.?!\"']$") & ~_matches(lines, r"\.\.\.$")
        dropped |= ~ends
    dropped |= words < params.min_words_per_line
    lorem = _matches(lines, "(?i)lorem ipsum") if params.filter_lorem_ipsum else _no(lines)
    javascript = _matches(lines, "(?i)javascript") if params.filter_javascript else _no(lines)
    curly = _matches(lines, r"\{") if params.filter_curly_bracket else _no(lines)
    policy = (_matches(lines, "(?i)" + "|".join(POLICY_SUBSTRINGS)) if params.filter_policy
              else _no(lines))
    reaches = ~dropped
    n_docs = len(text)
    position = np.arange(len(lines))
    kept = reaches & ~lorem & ~javascript & ~curly & ~policy
    if lorem_and_curly_drop_lines:
        lorem, curly = _no(lines), _no(lines)
    return C4Lines(
        lines=lines, doc=doc, kept=kept,
        first_lorem_line=_first(doc, position, reaches & lorem, n_docs),
        first_curly_line=_first(doc, position, reaches & ~lorem & ~javascript & curly, n_docs),
        count=n_docs)


def sentence_counts(c4: C4Lines, lang: str, wanted: np.ndarray) -> np.ndarray:
    """Per document (where `wanted`), the sentences of its kept lines, counted as datatrove
    does with spaCy's rule-based sentencizer. A line with no sentence-ending punctuation
    before its end is one sentence without asking spaCy."""
    counts = np.zeros(c4.count, dtype=np.int64)
    kept = c4.kept & wanted[c4.doc]
    if not kept.any():
        return counts
    lines = c4.lines.filter(pa.array(kept))
    doc = c4.doc[kept]
    punct = kernels.char_class(_sentence_punctuation())
    # punctuation followed by anything but more punctuation, closing quotes or brackets
    inner = _matches(lines, f"[{punct}][^{punct}]")
    counts += np.bincount(doc[~inner], minlength=c4.count)
    if inner.any():
        nlp = _sentencizer(lang)
        hard = lines.filter(pa.array(inner)).to_pylist()
        found = [sum(1 for s in parsed.sents if s.text.strip()) for parsed in nlp.pipe(hard)]
        counts += np.bincount(doc[inner], weights=found, minlength=c4.count).astype(np.int64)
    return counts


@lru_cache(maxsize=4)
def _sentencizer(lang: str):
    import spacy

    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def _sentence_punctuation() -> str:
    from spacy.pipeline import Sentencizer

    return "".join(Sentencizer.default_punct_chars)


def _longest_word(lines: pa.Array) -> np.ndarray:
    pieces = pc.split_pattern_regex(lines, f"[{_WS}]+")
    return kernels.max_per_row(pa.ListArray.from_arrays(pieces.offsets,
                                                        pc.utf8_length(pieces.flatten())))


def _matches(lines: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False)


def _no(lines: pa.Array) -> np.ndarray:
    return np.zeros(len(lines), dtype=bool)


def _first(doc: np.ndarray, position: np.ndarray, hit: np.ndarray, n_docs: int) -> np.ndarray:
    first = np.full(n_docs, NO_LINE, dtype=np.int64)
    np.minimum.at(first, doc[hit], position[hit])
    return first
