from __future__ import annotations

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.text import kernels
from juicer.core.operator import MAX_INT, Mapper, OpParams, check_min_max
from juicer_operators.mappers.word_rewriting import keep_words


class RemoveLongWordsMapper(Mapper):
    """Remove words shorter than `min_len` or longer than `max_len` characters (a longer
    word stays if it fits once special characters are stripped from its ends, so "word,"
    counts as "word").

    Same rule as Data-Juicer's mapper of this name, including its rewriting: words are
    split on space, tab and newline, and empty lines and repeated spaces disappear."""

    name = "remove_long_words_mapper"

    class Params(OpParams):
        min_len: int = Field(1, ge=0, description="Shortest word kept.")
        max_len: int = Field(MAX_INT, ge=0, description="Longest word kept.")

        @model_validator(mode="after")
        def _ordered(self):
            check_min_max(self, "min_len", "max_len")
            return self

    def map_text(self, text: pa.Array) -> pa.Array:
        low, high = self.params.min_len, self.params.max_len
        strip = "".join(kernels.special_characters())

        def keep(word: str) -> bool:
            if low <= len(word) <= high:
                return True
            return len(word) > high and low <= len(word.strip(strip)) <= high

        return keep_words(text, keep)
