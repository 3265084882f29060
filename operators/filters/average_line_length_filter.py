from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import kernels
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class AverageLineLengthFilter(Filter):
    """Keep documents whose average line length lies in [min_len, max_len].

    `avg_line_length` is `len(text) / len(text.splitlines())` (0.0 for empty text): line
    breaks count toward the length, as in Data-Juicer."""

    name = "average_line_length_filter"
    stats = {"avg_line_length": pa.float64()}

    class Params(RangeParams):
        _range = ("min_len", "max_len")
        min_len: int = Field(10, ge=0, description="Lowest average line length kept.")
        max_len: int = Field(MAX_INT, ge=0, description="Highest average line length kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        lines = batch.view("line_count", field, lambda: kernels.line_count(batch.text(field)))
        return {"avg_line_length": pa.array(kernels.safe_ratio(batch.char_length(field), lines))}

    def rules(self):
        return range_rules(self.params, "avg_line_length", "min_len", "max_len")
