from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams

COMMON_ENGLISH_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]


class CommonEnglishWordsFilter(CutoffFilter, Filter):
    """Keep documents with at least `min_num_common_words` occurrences of Gopher's common
    English words (the, be, to, of, and, that, have, with), matched as whole lowercase
    words split on whitespace, so shouting documents fail (NeMo Curator's
    CommonEnglishWordsFilter). With `stop_at_false` the count stops at the minimum, as
    there."""

    name = "common_english_words_filter"
    score_name = "common_english_words"
    cutoff = "min_num_common_words"
    keeps = ">="
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        min_num_common_words: int = Field(2, ge=0, description="Fewest common words kept.")
        stop_at_false: bool = Field(True, description="Stop counting at the minimum.")

    def score(self, text):
        words = heuristics.words(text)
        common = pc.is_in(words.text, value_set=pa.array(COMMON_ENGLISH_WORDS)).to_numpy(
            zero_copy_only=False)
        counts = words.per_document(common).astype(float)
        if self.params.stop_at_false:
            counts = np.minimum(counts, self.params.min_num_common_words)
        return counts
