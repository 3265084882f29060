from __future__ import annotations

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.text import heuristics
from juicer.core.cutoff import WhitespaceWordsParams
from juicer.core.operator import Filter, check_min_max
from juicer.core.rules import bound


class WordCountFilter(Filter):
    """Keep documents with `min_words` to `max_words` words, split on whitespace (NeMo
    Curator's WordCountFilter). For Data-Juicer's word count, see `words_num_filter`."""

    name = "word_count_filter"
    stats = {"word_count": pa.float64()}

    class Params(WhitespaceWordsParams):
        min_words: int = Field(50, ge=0, description="Fewest words kept.")
        max_words: int = Field(100000, ge=0, description="Most words kept.")

        @model_validator(mode="after")
        def _ordered(self):
            check_min_max(self, "min_words", "max_words")
            return self

    def compute_stats(self, batch, text_field):
        words = heuristics.words(batch.text(self.text_field(text_field)), self.params.lang)
        return {"word_count": heuristics.stat(words.per_document())}

    def rules(self):
        low, high = self.params.min_words, self.params.max_words
        return [bound("min_words", "word_count", ">=", low),
                bound("max_words", "word_count", "<=", high)]
