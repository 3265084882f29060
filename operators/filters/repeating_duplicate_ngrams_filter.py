from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels, shingles, words
from juicer.core.cutoff import CutoffFilter, WhitespaceWordsParams
from juicer.core.operator import Filter
from juicer.text.shingles import span_hashes


class RepeatingDuplicateNgramsFilter(CutoffFilter, Filter):
    """Keep documents in which repeated word n-grams (words split on whitespace) cover at
    most `max_repeating_duplicate_ngram_ratio` of the characters (NeMo Curator's
    RepeatingDuplicateNGramsFilter, from Gopher): walking the n-grams in order, each one
    seen before adds the characters of its words not already counted by the previous
    repeat, plus the spaces between them. A document with fewer than `n` words scores 1.0.
    The walk is vectorized: where a repeat starts, the overlap with the previous repeat is
    its distance from it."""

    name = "repeating_duplicate_ngrams_filter"
    score_name = "repeating_duplicate_ngram_ratio"
    cutoff = "max_repeating_duplicate_ngram_ratio"
    stats = {score_name: pa.float64()}

    class Params(WhitespaceWordsParams):
        n: int = Field(2, ge=1, description="Words per n-gram.")
        max_repeating_duplicate_ngram_ratio: float = Field(
            0.2, ge=0, description="Largest share of the text in repeated n-grams.")

    def score(self, text):
        n = self.params.n
        pieces = heuristics.words(text, self.params.lang)
        cps, offsets = kernels.code_points(pieces.text)
        lengths = np.diff(offsets)
        word_hash = span_hashes(cps, offsets[:-1], offsets[1:])
        starts, gram_doc, gram, _ = words.ngram_spans(pieces.doc, word_hash, lengths, n)
        scores = np.ones(len(text))
        if len(starts) == 0:
            return scores
        repeat = shingles.seen_before(gram_doc, gram)
        position = np.arange(len(repeat))
        # index of the latest repeat before each n-gram, within its document
        latest = np.where(repeat, position, -1)
        previous = np.maximum.accumulate(np.concatenate([[-1], latest[:-1]]))
        doc_start = np.searchsorted(gram_doc, gram_doc)  # first n-gram of the document
        overlap = np.where(previous >= doc_start, np.maximum(n - (position - previous), 0), 0)
        cumulative = np.concatenate([[0], np.cumsum(lengths)])
        new_chars = cumulative[starts + n] - cumulative[starts + overlap] + np.minimum(n - overlap, n - 1)
        duplicated = np.bincount(gram_doc[repeat], weights=new_chars[repeat], minlength=len(text))
        has_grams = np.bincount(gram_doc, minlength=len(text)) > 0
        scores[has_grams] = heuristics.ratio(duplicated, kernels.char_length(text))[has_grams]
        return scores
