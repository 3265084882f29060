from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class TextLengthFilter(Filter):
    """Keep documents whose length in characters lies in [min_len, max_len].

    `text_len` is `len(text)` in Unicode code points, as in Data-Juicer's filter of the same
    name."""

    name = "text_length_filter"
    stats = {"text_len": pa.int64()}

    class Params(RangeParams):
        _range = ("min_len", "max_len")
        min_len: int = Field(10, ge=0, description="Fewest characters a kept document has.")
        max_len: int = Field(MAX_INT, ge=0, description="Most characters a kept document has.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        return {"text_len": pa.array(batch.char_length(self.text_field(text_field)))}

    def rules(self):
        return range_rules(self.params, "text_len", "min_len", "max_len")
