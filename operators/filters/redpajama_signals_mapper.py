from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache
from typing import Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import kernels, words, wordlists
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams
from juicer.text.shingles import span_hashes

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_BULLETS = "\u2022\u2023\u25b6\u25c0\u25e6\u25a0\u25a1\u25aa\u25ab\u2013"
PRECISION = 8  # RedPajama-v2 rounds its ratios to 8 decimals
_DOC = ["rps_doc_num_sentences", "rps_doc_word_count", "rps_doc_mean_word_length",
        "rps_doc_symbol_to_word_ratio", "rps_doc_frac_lines_end_with_ellipsis",
        "rps_doc_frac_no_alph_words", "rps_doc_frac_unique_words", "rps_doc_unigram_entropy",
        "rps_doc_frac_all_caps_words", "rps_doc_stop_word_fraction", "rps_doc_lorem_ipsum",
        "rps_doc_curly_bracket", "rps_doc_ldnoobw_words",
        *[f"rps_doc_frac_chars_top_{n}gram" for n in (2, 3, 4)],
        *[f"rps_doc_frac_chars_dupe_{n}grams" for n in range(5, 11)]]
_LINES = ["rps_lines_ending_with_terminal_punctution_mark", "rps_lines_javascript_counts",
          "rps_lines_num_words", "rps_lines_numerical_chars_fraction",
          "rps_lines_start_with_bulletpoint", "rps_lines_uppercase_letter_fraction"]


def normalize(text: str) -> str:
    """RedPajama-v2's normalization: ASCII punctuation removed, lowercased, whitespace runs
    made one space, stripped, NFD."""
    text = re.sub(r"\s+", " ", text.translate(_PUNCTUATION).lower().strip())
    return unicodedata.normalize("NFD", text)


class RedpajamaSignalsMapper(Filter):
    """Compute RedPajama-v2's rule-based quality signals (Together AI 2023; the signals
    that need no model or URL list) into `__stats__`, with RPv2's names and definitions, and
    drop nothing: follow it with `stats_filter` steps to threshold them.

    Document signals (`rps_doc_*`): sentences (regex), normalized word count, mean word
    length, unique-word fraction, unigram entropy, symbols (`#`, ellipses) per word, lines
    ending with an ellipsis, words without an ASCII letter, all-caps words, stop words, "lorem
    ipsum" and curly brackets per character, LDNOOBW bad words, characters in the most
    frequent 2/3/4-gram and in duplicated 5- to 10-grams. Line signals (`rps_lines_*`, one
    value per line): terminal punctuation, "javascript" count, words, numeric and uppercase
    character fractions, bullet starts. Raw words are NLTK's WordPunct tokens
    (`\\w+|[^\\w\\s]+`); normalized words split the normalized text (ASCII punctuation
    removed, lowercased, NFD). Ratios are rounded to 8 decimals; a ratio over zero words is
    null. Stop words are Juicer's lists for `lang` (RPv2 uses stopwords-json; set
    `stopwords_dir` to use it); bad words are LDNOOBW, as in RPv2."""

    name = "redpajama_signals_mapper"
    # a Filter to the engine (its stats go to __stats__), a mapper to its users: it drops
    # nothing and only annotates
    kind = "mapper"
    stats = {**{name: pa.float64() for name in _DOC},
             **{name: pa.list_(pa.float64()) for name in _LINES}}

    class Params(OpParams):
        lang: str = Field("en", description="Language of the stop-word and bad-word lists.")
        stopwords_dir: Optional[str] = Field(None, description="Folder of stop-word lists; "
                                             "empty uses the shipped ones.")
        flagged_words_dir: Optional[str] = Field(None, description="Folder of bad-word lists; "
                                                 "empty uses the shipped LDNOOBW lists.")

    def setup(self) -> None:
        p = self.params
        self.stop_words = words.hash_words(wordlists.load("stopwords", p.lang, p.stopwords_dir))
        bad = wordlists.load("flagged_words", p.lang, p.flagged_words_dir)
        self.bad_words = {}  # n -> hashes of n-word entries, hashed as word sequences
        for entry in bad:
            parts = entry.split(" ")
            self.bad_words.setdefault(len(parts), []).append(parts)
        self.bad_words = {n: _sequence_hashes(entries) for n, entries in self.bad_words.items()}

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        text = batch.text(self.text_field(text_field))
        raw = text.to_pylist()
        normalized = pa.array([normalize(t) for t in raw], pa.string())
        stats = {}
        stats.update(self._raw_word_signals(text, raw))
        stats.update(self._normalized_word_signals(normalized))
        stats.update(_line_signals(raw))
        return {name: stats[name] if isinstance(stats[name], pa.Array)
                else pa.array(stats[name], mask=np.isnan(stats[name])) for name in self.stats}

    def rules(self):
        return []  # signals only: thresholds are stats_filter steps

    def _raw_word_signals(self, text: pa.Array, raw: list[str]) -> dict:
        n = len(raw)
        cps, offsets = kernels.code_points(text)
        token_start, token_end, doc = _word_punct_tokens(cps, offsets)
        count = np.bincount(doc, minlength=n)
        flags = lambda table: kernels.sum_per_segment(table[cps], np.stack(  # noqa: E731
            [token_start, token_end], 1).ravel())[::2] > 0 if len(token_start) else np.zeros(0, bool)
        ascii_letter = np.zeros(0x110000, bool)
        ascii_letter[[ord(c) for c in string.ascii_letters]] = True
        has_letter = flags(ascii_letter)
        has_lower_or_title = flags(kernels.class_table("islower") | _titlecase_letters())
        has_upper = flags(kernels.class_table("isupper"))
        all_caps = has_upper & ~has_lower_or_title
        is_stop = np.isin(span_hashes(cps, token_start, token_end), self.stop_words)
        symbols = (kernels.count_matches(text, "#") + kernels.count_matches(text, r"\.\.\.")
                   + kernels.count_matches(text, "…"))
        chars = kernels.char_length(text)
        per_doc = lambda mask: np.bincount(doc[mask], minlength=n)  # noqa: E731
        return {
            "rps_doc_num_sentences": np.array([len(_SENTENCE.findall(t)) for t in raw], float),
            "rps_doc_symbol_to_word_ratio": _ratio(symbols, count),
            "rps_doc_frac_no_alph_words": _rounded(np.where(count > 0, 1.0 - per_doc(has_letter) / np.maximum(count, 1), np.nan)),
            "rps_doc_frac_all_caps_words": _ratio(per_doc(all_caps), count),
            "rps_doc_stop_word_fraction": _ratio(per_doc(is_stop), count, empty=0.0),
            "rps_doc_curly_bracket": _ratio(kernels.count_matches(text, r"[{}]"), chars, empty=0.0),
        }

    def _normalized_word_signals(self, normalized: pa.Array) -> dict:
        n = len(normalized)
        cps, offsets = kernels.code_points(normalized)
        found = words._stripped_tokens(cps, offsets, kernels.class_table("isspace"),
                                       np.zeros(0x110000, bool))
        lengths = found.lengths
        count = found.per_document()
        total = np.bincount(found.doc, weights=lengths, minlength=n)
        doc_words, word_counts = words.frequencies(found)
        distinct = np.bincount(doc_words, minlength=n)
        totals = count[doc_words].astype(float)
        entropy = np.bincount(doc_words, weights=-(word_counts / totals) * np.log(word_counts / totals),
                              minlength=n)
        lorem = kernels.count_matches(normalized, "(?i)lorem ipsum")
        signals = {
            "rps_doc_word_count": count.astype(float),
            "rps_doc_mean_word_length": _ratio(total, count),
            "rps_doc_frac_unique_words": _ratio(distinct, count),
            "rps_doc_unigram_entropy": _rounded(np.where(count > 0, entropy, np.nan)),
            "rps_doc_lorem_ipsum": _ratio(lorem, kernels.char_length(normalized), empty=0.0),
            "rps_doc_ldnoobw_words": self._bad_word_count(found, n),
        }
        for size in (2, 3, 4):
            top = words.top_ngram_chars(found.doc, found.hashes, lengths, size, n, spaces=False,
                                        min_count=2)
            signals[f"rps_doc_frac_chars_top_{size}gram"] = _ratio(top, total, empty=0.0)
        for size in range(5, 11):
            signals[f"rps_doc_frac_chars_dupe_{size}grams"] = _ratio(
                _duplicated_chars(found, lengths, size), total, empty=0.0)
        return signals

    def _bad_word_count(self, found: words.Words, n: int) -> np.ndarray:
        counts = np.zeros(n)
        for size, hashes in self.bad_words.items():
            grams = found.ngrams(size)
            hits = np.isin(grams.hashes, hashes)
            counts += np.bincount(grams.doc[hits], minlength=n)
        return counts


@lru_cache(maxsize=1)
def _titlecase_letters() -> np.ndarray:
    """Code points of titlecase letters (category Lt, such as ǅ): with a lowercase letter
    they make str.isupper() false."""
    table = np.zeros(0x110000, bool)
    table[[c for c in range(0x110000) if unicodedata.category(chr(c)) == "Lt"]] = True
    return table


def _word_punct_tokens(cps: np.ndarray, offsets: np.ndarray):
    """Start, end and document of each `\\w+|[^\\w\\s]+` token (NLTK's WordPunctTokenizer)."""
    if len(cps) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    word = kernels.class_table("isalnum").copy()
    word[ord("_")] = True
    kind = np.where(word[cps], 1, np.where(kernels.class_table("isspace")[cps], 0, 2)).astype(np.int8)
    change = np.ones(len(cps), bool)
    change[1:] = kind[1:] != kind[:-1]
    change[offsets[:-1][offsets[:-1] < len(cps)]] = True
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(cps))
    # a run may not cross a document end
    doc = np.searchsorted(offsets, starts, side="right") - 1
    ends = np.minimum(ends, offsets[doc + 1])
    keep = kind[starts] != 0
    return starts[keep], ends[keep], doc[keep]


def _duplicated_chars(found: words.Words, lengths: np.ndarray, size: int) -> np.ndarray:
    """Per document, characters of the words covered by an n-gram occurring twice or more."""
    n = found.count
    starts, gram_doc, gram, _ = words.ngram_spans(found.doc, found.hashes, lengths, size)
    if len(starts) == 0:
        return np.zeros(n)
    with np.errstate(over="ignore"):
        key = gram ^ (gram_doc.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    repeated = starts[counts[inverse] > 1]
    cover = np.zeros(len(found.hashes) + 1, np.int64)
    np.add.at(cover, repeated, 1)
    np.add.at(cover, repeated + size, -1)
    covered = np.cumsum(cover)[:-1] > 0
    return np.bincount(found.doc[covered], weights=lengths[covered], minlength=n)


def _sequence_hashes(entries: list[list[str]]) -> np.ndarray:
    """Hashes of word sequences as Words.ngrams computes them."""
    flat = [w for entry in entries for w in entry]
    word_hashes = words.hash_words_in_order(flat)
    size = len(entries[0])
    starts = np.arange(0, len(flat), size)
    return word_hashes if size == 1 else span_hashes(word_hashes, starts, starts + size)


def _line_signals(raw: list[str]) -> dict:
    columns = {name: [] for name in _LINES}
    ellipsis = np.full(len(raw), np.nan)
    for index, text in enumerate(raw):
        # RPv2's lines: each piece ending with \n (kept), and a last piece without one
        lines = _LINE.findall(text)
        if lines:
            ellipsis[index] = sum(line.rstrip().endswith(("...", "…")) for line in lines) / len(lines)
        values = {name: [] for name in _LINES}
        for line in lines:
            norm = normalize(line)
            stripped = line.rstrip()
            values[_LINES[0]].append(float(stripped.endswith((".", "!", "?", "”"))))
            values[_LINES[1]].append(float(sum(w == "javascript" for w in norm.split())))
            values[_LINES[2]].append(float(len(norm.split())))
            values[_LINES[3]].append(round(sum(map(str.isnumeric, norm)) / len(norm), PRECISION)
                                     if norm else 0.0)
            values[_LINES[4]].append(float(line.lstrip().startswith(tuple(_BULLETS))))
            values[_LINES[5]].append(round(sum(map(str.isupper, line)) / len(line), PRECISION)
                                     if line else 0.0)
        for name in _LINES:
            columns[name].append(values[name])
    out = {name: pa.array(values, pa.list_(pa.float64())) for name, values in columns.items()}
    out["rps_doc_frac_lines_end_with_ellipsis"] = _rounded(ellipsis)
    return out


def _ratio(numerator, denominator, empty=np.nan) -> np.ndarray:
    return _rounded(kernels.safe_ratio(numerator, denominator, empty))


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(values, PRECISION)
