from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer import Filter
from juicer.batch import Batch
from juicer.operator import RangeParams, range_rules


class DigitRatioFilter(Filter):
    """Keep documents whose share of decimal digits lies in [min_ratio, max_ratio]: tables
    of numbers, logs and phone lists have a high one."""

    name = "digit_ratio_filter"
    stats = {"digit_ratio": pa.float64()}

    class Params(RangeParams):
        _range = ("min_ratio", "max_ratio")
        min_ratio: float = Field(0.0, ge=0, le=1, description="Lowest digit share kept.")
        max_ratio: float = Field(0.2, ge=0, le=1, description="Highest digit share kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        text = batch.text(self.text_field(text_field))
        # vectorized over the whole batch by Arrow: no Python loop per document
        digits = pc.count_substring_regex(text, r"\d").to_numpy(zero_copy_only=False)
        length = batch.char_length(self.text_field(text_field))
        ratio = np.divide(digits, length, out=np.zeros(len(length)), where=length > 0)
        return {"digit_ratio": pa.array(ratio)}

    def rules(self):
        return range_rules(self.params, "digit_ratio", "min_ratio", "max_ratio")
