from __future__ import annotations

import pyarrow as pa

from juicer.text import c4
from juicer.core.operator import Mapper
from juicer_operators.filters.c4_quality_filter import C4Params


class C4LineCleaningMapper(Mapper):
    """Remove the lines C4's rules reject (Raffel et al. 2020; juicer/text/c4.py): lines without
    terminal punctuation or ending in "...", with fewer than `min_words_per_line` words or a
    word longer than `max_word_length`, mentioning javascript, cookie or terms-of-use
    policies, and, as lines rather than documents, lines with "lorem ipsum" or a curly
    bracket; Wikipedia citations are removed. Documents are never dropped: use
    `c4_quality_filter` for C4's document rules (it cleans the same way)."""

    name = "c4_line_cleaning_mapper"
    Params = C4Params

    def map_text(self, text: pa.Array) -> pa.Array:
        return c4.evaluate(text, self.params, lorem_and_curly_drop_lines=True).text()
