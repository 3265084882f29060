from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class ResponseLengthFilter(Filter):
    """Keep instruction records whose answer is [min_len, max_len] characters long. The
    answer is found by layout: the last of `messages` or `conversations`, else `output` or
    `response` (for data in no instruction layout, the document's text); `text_key` names
    another field or path. A record without an answer has length 0."""

    name = "response_length_filter"
    stats = {"response_len": pa.int64()}

    class Params(RangeParams):
        _range = ("min_len", "max_len")
        min_len: int = Field(1, ge=0, description="Fewest characters a kept answer has.")
        max_len: int = Field(MAX_INT, ge=0, description="Most characters a kept answer has.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        from juicer.corpus.instruct import answer_field

        field = self.params.text_key or answer_field(batch.table.column_names,
                                                          self.text_field(text_field))
        return {"response_len": pa.array(batch.char_length(field))}

    def rules(self):
        return range_rules(self.params, "response_len", "min_len", "max_len")
