from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import kernels
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class MaximumLineLengthFilter(Filter):
    """Keep documents whose longest line has a length in [min_len, max_len].

    Lines are split as Python's `str.splitlines()` does; empty text has a maximum of 0."""

    name = "maximum_line_length_filter"
    stats = {"max_line_length": pa.int64()}

    class Params(RangeParams):
        _range = ("min_len", "max_len")
        min_len: int = Field(10, ge=0, description="Shortest longest-line kept.")
        max_len: int = Field(MAX_INT, ge=0, description="Longest longest-line kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        longest = kernels.max_per_row(batch.line_lengths(self.text_field(text_field)))
        return {"max_line_length": pa.array(longest)}

    def rules(self):
        return range_rules(self.params, "max_line_length", "min_len", "max_len")
