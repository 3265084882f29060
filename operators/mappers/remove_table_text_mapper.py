from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from juicer.text import regex
from juicer.core.operator import Mapper, OpParams, check_min_max


class RemoveTableTextMapper(Mapper):
    """Remove plain-text tables: runs of two or more lines (each after a line break) made of
    the same number of columns, from `min_col` to `max_col`, separated by single spaces, `|`
    or tabs. Same rule as Data-Juicer's mapper of this name, applied for each column count in
    turn (fewest first)."""

    name = "remove_table_text_mapper"

    class Params(OpParams):
        min_col: int = Field(2, ge=2, le=20, description="Fewest columns of a table.")
        max_col: int = Field(20, ge=2, le=20, description="Most columns of a table.")

        @model_validator(mode="after")
        def _ordered(self):
            check_min_max(self, "min_col", "max_col")
            return self

    def map_text(self, text: pa.Array) -> pa.Array:
        # Data-Juicer's (?<=\n) lookbehind, which RE2 lacks, becomes a captured line break
        # that is put back; a table ends at its last line break, so no match is lost.
        for separators in range(self.params.min_col - 1, self.params.max_col):
            row = regex.to_re2(rf"(?:\S+?)(?:[ |\t](?:\S+?)){{{separators}}}\n+")
            text = pc.replace_substring_regex(text, rf"(\n)(?:{row}){{2,}}", r"\1")
        return text
