from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import kernels, segmenters
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams, Rule
from juicer.core.rules import bound
from juicer.text.shingles import span_hashes

# Gopher's stop words (Rae et al. 2021, appendix A1), compared case-sensitively as datatrove does
GOPHER_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
_WS = kernels.char_class(kernels.python_whitespace())


class GopherQualityFilter(Filter):
    """Gopher's quality rules (Rae et al. 2021, "Scaling Language Models", appendix A1),
    deciding exactly as datatrove's GopherQualityFilter with the same parameters.

    Words are spaCy's tokens (`spacy.blank(language)`, rule-based, offline; extra `nlp`);
    symbol words are made only of datatrove's punctuation characters. In order, a document is
    dropped when: its non-symbol words are fewer than `min_doc_words` or more than
    `max_doc_words`; their mean length is outside [`min_avg_word_length`,
    `max_avg_word_length`]; `#` or ellipses (`...`, `…`) per word exceed
    `max_symbol_word_ratio`; more than `max_bullet_lines_ratio` of its lines start with a
    bullet (`•`, `-`) or more than `max_ellipsis_lines_ratio` end with an ellipsis; fewer than
    `max_non_alpha_words_ratio` of its words contain a letter; it has fewer than
    `min_stop_words` distinct stop words. A parameter set to null (or 0) turns its rule off.
    Drop reasons are datatrove's (`gopher_short_doc`, ...). Where datatrove would divide by
    zero words, the ratio is 0."""

    name = "gopher_quality_filter"
    requires_packages = {"spacy": "nlp"}
    stats = {"gopher_words": pa.int64(), "gopher_non_symbol_words": pa.int64(),
             "gopher_avg_word_length": pa.float64(), "gopher_hash_ratio": pa.float64(),
             "gopher_ellipsis_ratio": pa.float64(), "gopher_bullet_lines_ratio": pa.float64(),
             "gopher_end_ellipsis_lines_ratio": pa.float64(),
             "gopher_alpha_words_ratio": pa.float64(), "gopher_stop_words": pa.int64()}

    class Params(OpParams):
        min_doc_words: Optional[int] = Field(50, description="Fewest non-symbol words.")
        max_doc_words: Optional[int] = Field(100000, description="Most non-symbol words.")
        min_avg_word_length: Optional[float] = Field(3, description="Shortest mean word length.")
        max_avg_word_length: Optional[float] = Field(10, description="Longest mean word length.")
        max_symbol_word_ratio: Optional[float] = Field(
            0.1, description="Most `#`, and most ellipses, per word.")
        max_bullet_lines_ratio: Optional[float] = Field(
            0.9, description="Largest share of lines starting with a bullet.")
        max_ellipsis_lines_ratio: Optional[float] = Field(
            0.3, description="Largest share of lines ending with an ellipsis.")
        max_non_alpha_words_ratio: Optional[float] = Field(
            0.8, description="Smallest share of words with a letter (datatrove's name).")
        min_stop_words: Optional[int] = Field(2, description="Fewest distinct stop words.")
        stop_words: Optional[list[str]] = Field(None, description="Stop words; empty uses "
                                                "Gopher's: the, be, to, of, and, that, have, with.")
        language: str = Field("en", description="spaCy language code of the tokenizer.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        text = batch.text(field)
        tokens = segmenters.of_batch(batch, field, self.params.language)
        cps = segmenters.per_token_code_points(tokens)
        lengths = np.diff(cps[1])
        symbol_free = kernels.count_in_class(cps, ~kernels.class_table("datatrove_punctuation.txt")) > 0
        alpha = kernels.count_in_class(cps, kernels.class_table("isalpha")) > 0
        words = tokens.per_document()
        non_symbol = tokens.per_document(symbol_free)
        length_sum = np.bincount(tokens.doc[symbol_free], weights=lengths[symbol_free],
                                 minlength=tokens.count)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_length = np.where(non_symbol > 0, length_sum / np.maximum(non_symbol, 1), np.nan)
        stop = span_hashes(*_code_points_of(self.params.stop_words or GOPHER_STOP_WORDS))
        token_hashes = span_hashes(cps[0], cps[1][:-1], cps[1][1:])
        is_stop = np.isin(token_hashes, stop)
        stop_count = np.zeros(tokens.count, np.int64)
        if is_stop.any():  # distinct stop words per document
            pairs = np.unique(np.stack([tokens.doc[is_stop], token_hashes[is_stop].view(np.int64)]), axis=1)
            stop_count = np.bincount(pairs[0], minlength=tokens.count).astype(np.int64)
        hashes = kernels.count_matches(text, "#")
        ellipses = pc.count_substring(text, "...").to_numpy(zero_copy_only=False) + \
            pc.count_substring(text, "…").to_numpy(zero_copy_only=False)
        lines = kernels.line_count(text)
        bullets = _lines_matching(text, rf"^[{_WS}]*[•\-]")
        end_ellipsis = _lines_matching(text, rf"(?:\.\.\.|…)[{_WS}]*$")
        return {
            "gopher_words": pa.array(words), "gopher_non_symbol_words": pa.array(non_symbol),
            # null, not NaN, without words: NaN breaks equality of rows and JSON output
            "gopher_avg_word_length": pa.array(avg_length, mask=np.isnan(avg_length)),
            "gopher_hash_ratio": pa.array(kernels.safe_ratio(hashes, words)),
            "gopher_ellipsis_ratio": pa.array(kernels.safe_ratio(ellipses, words)),
            "gopher_bullet_lines_ratio": pa.array(kernels.safe_ratio(bullets, lines)),
            "gopher_end_ellipsis_lines_ratio": pa.array(kernels.safe_ratio(end_ellipsis, lines)),
            "gopher_alpha_words_ratio": pa.array(kernels.safe_ratio(
                tokens.per_document(alpha), words)),
            "gopher_stop_words": pa.array(stop_count),
        }

    def rules(self):
        p = self.params
        candidates = [  # (rule, stat, comparison, parameter)
            ("gopher_short_doc", "gopher_non_symbol_words", ">=", "min_doc_words"),
            ("gopher_long_doc", "gopher_non_symbol_words", "<=", "max_doc_words"),
            ("gopher_below_avg_threshold", "gopher_avg_word_length", ">=", "min_avg_word_length"),
            ("gopher_above_avg_threshold", "gopher_avg_word_length", "<=", "max_avg_word_length"),
            ("gopher_too_many_hashes", "gopher_hash_ratio", "<=", "max_symbol_word_ratio"),
            ("gopher_too_many_ellipsis", "gopher_ellipsis_ratio", "<=", "max_symbol_word_ratio"),
            ("gopher_too_many_bullets", "gopher_bullet_lines_ratio", "<=", "max_bullet_lines_ratio"),
            ("gopher_too_many_end_ellipsis", "gopher_end_ellipsis_lines_ratio", "<=",
             "max_ellipsis_lines_ratio"),
            # datatrove's name: a lower bound on the share of words with a letter
            ("gopher_below_alpha_threshold", "gopher_alpha_words_ratio", ">=",
             "max_non_alpha_words_ratio"),
            ("gopher_enough_stop_words", "gopher_stop_words", ">=", "min_stop_words"),
        ]
        return [threshold_rule(name, stat, op, getattr(p, param), param)
                for name, stat, op, param in candidates if getattr(p, param)]


def threshold_rule(name: str, stat: str, op: str, threshold, param: str) -> Rule:
    """A rule failing only when the stat is strictly beyond the threshold (NaN passes), as
    datatrove writes its rules (`if value < threshold: drop`)."""
    return bound(name, stat, op, threshold, param=param, nan="pass")


def _code_points_of(words: list[str]):
    cps, offsets = kernels.code_points(pa.array(words, pa.string()))
    return cps, offsets[:-1], offsets[1:]


def _lines_matching(text: pa.Array, pattern: str) -> np.ndarray:
    """Per document, how many of its lines (str.splitlines) match the RE2 pattern."""
    pieces = pc.split_pattern_regex(text, kernels.LINE_BREAK)
    hits = pc.match_substring_regex(pieces.flatten(), pattern).to_numpy(zero_copy_only=False)
    doc = np.repeat(np.arange(len(text)), np.diff(pieces.offsets.to_numpy()))
    return np.bincount(doc[hits], minlength=len(text)).astype(np.int64)
