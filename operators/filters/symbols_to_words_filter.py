from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter, WhitespaceWordsParams
from juicer.core.operator import Filter

# NeMo Curator's ellipsis marks; only the single-word ones can equal a word
ELLIPSIS_MARKS = ["...", "[...]", "…", "(...)", "[…]", "-»", "read more..", "read more"]


class SymbolsToWordsFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_symbol_to_word_ratio` of the words (split on
    whitespace) are symbol words: an ellipsis mark (`...`, `…`, `[...]`, ...) or a word
    whose runs of `#` outnumber half its characters (NeMo Curator's SymbolsToWordsFilter,
    from Gopher). A document without words is dropped."""

    name = "symbols_to_words_filter"
    score_name = "symbol_to_word_ratio"
    cutoff = "max_symbol_to_word_ratio"
    stats = {score_name: pa.float64()}

    class Params(WhitespaceWordsParams):
        max_symbol_to_word_ratio: float = Field(0.1, ge=0, description="Largest share of "
                                                "symbol words.")

    def score(self, text):
        words = heuristics.words(text, self.params.lang)
        hash_runs = kernels.count_matches(words.text, "#+")
        is_mark = pc.is_in(words.text, value_set=pa.array(ELLIPSIS_MARKS)).to_numpy(
            zero_copy_only=False)
        symbol = is_mark | (hash_runs / np.maximum(words.lengths(), 1) > 0.5)
        return heuristics.ratio(words.per_document(symbol), words.per_document())
