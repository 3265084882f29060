from __future__ import annotations

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.text import heuristics
from juicer.core.cutoff import WhitespaceWordsParams
from juicer.core.operator import Filter, check_min_max
from juicer.core.rules import bound


class MeanWordLengthFilter(Filter):
    """Keep documents whose mean word length (words split on whitespace) lies in
    [`min_mean_word_length`, `max_mean_word_length`] (NeMo Curator's MeanWordLengthFilter,
    from Gopher). A document without words is dropped."""

    name = "mean_word_length_filter"
    stats = {"mean_word_length": pa.float64()}

    class Params(WhitespaceWordsParams):
        min_mean_word_length: float = Field(3, ge=0, description="Shortest mean kept.")
        max_mean_word_length: float = Field(10, ge=0, description="Longest mean kept.")

        @model_validator(mode="after")
        def _ordered(self):
            check_min_max(self, "min_mean_word_length", "max_mean_word_length")
            return self

    def compute_stats(self, batch, text_field):
        words = heuristics.words(batch.text(self.text_field(text_field)), self.params.lang)
        mean = heuristics.ratio(words.sum_per_document(words.lengths()), words.per_document())
        return {"mean_word_length": heuristics.stat(mean)}

    def rules(self):
        low, high = self.params.min_mean_word_length, self.params.max_mean_word_length
        return [bound("min_mean_word_length", "mean_word_length", ">=", low),
                bound("max_mean_word_length", "mean_word_length", "<=", high)]
