from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter, WhitespaceWordsParams
from juicer.core.operator import Filter


class LongWordFilter(CutoffFilter, Filter):
    """Keep documents whose longest word (split on whitespace) has at most
    `max_word_length` characters; it catches minified code and encoded blobs (NeMo Curator's
    LongWordFilter, from C4). A document without words scores 0."""

    name = "long_word_filter"
    score_name = "max_word_length"
    cutoff = "max_word_length"
    stats = {score_name: pa.float64()}

    class Params(WhitespaceWordsParams):
        max_word_length: int = Field(1000, ge=0, description="Longest word kept.")

    def score(self, text):
        words = heuristics.words(text, self.params.lang)
        longest = np.zeros(words.count)
        np.maximum.at(longest, words.doc, words.lengths())
        return longest
