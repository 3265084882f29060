from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter, WhitespaceWordsParams
from juicer.core.operator import Filter


class WordsWithoutAlphabetsFilter(CutoffFilter, Filter):
    """Keep documents in which at least `min_words_with_alphabets` of the words (split on
    whitespace) contain an alphabetic character, Unicode's Alphabetic property as the
    `regex` module's `[[:alpha:]]` has it (NeMo Curator's WordsWithoutAlphabetsFilter, from
    Gopher). A document without words is dropped."""

    name = "words_without_alphabets_filter"
    score_name = "words_with_alphabets_ratio"
    cutoff = "min_words_with_alphabets"
    keeps = ">="
    stats = {score_name: pa.float64()}

    class Params(WhitespaceWordsParams):
        min_words_with_alphabets: float = Field(0.8, ge=0, description="Smallest share of "
                                                "words with a letter.")

    def score(self, text):
        words = heuristics.words(text, self.params.lang)
        cps = kernels.code_points(words.text)
        alpha = kernels.count_in_class(cps, kernels.class_table("posix_alpha.txt")) > 0
        return heuristics.ratio(words.per_document(alpha), words.per_document())
