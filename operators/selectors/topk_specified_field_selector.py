from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import OpParams, Selector
from juicer_operators.selectors.random_selector import sample_size
from juicer_operators.selectors.ranking import ranking_numbers


class TopkSpecifiedFieldSelector(Selector):
    """Keep the `topk` documents (or the `top_ratio` share) with the largest values of a field.

    `field_key` may reach into nested fields with dots, e.g. `meta.score` or a stat of an
    earlier step, `__stats__.words_num_filter.num_words`. `reverse: false` keeps the smallest
    values instead. When both `topk` and `top_ratio` are set the smaller count wins, as in
    Data-Juicer. Values rank as Data-Juicer's `stats_to_number` makes them: numbers written
    as strings by their number ("243" above "33"), a list by its mean. Ties go to the earlier
    document; documents without a number are chosen last.
    Kept documents stay in input order (Data-Juicer reorders them by value)."""

    name = "topk_specified_field_selector"

    class Params(OpParams):
        field_key: str = Field("", description="Field to rank by; dots reach nested fields. "
                               "Empty keeps everything (as in Data-Juicer).")
        top_ratio: Optional[float] = Field(None, ge=0, le=1,
                                           description="Share of the documents to keep.")
        topk: Optional[int] = Field(None, gt=0, description="Number of documents to keep.")
        reverse: bool = Field(True, description="Keep the largest values (false: the smallest).")

    def selection_keys(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if not self.params.field_key:
            return {}
        return {"value": nested_field(batch.table, self.params.field_key)}

    def select(self, keys: pa.Table) -> np.ndarray:
        count = keys.num_rows
        keep = np.ones(count, dtype=bool)
        if not self.params.field_key or (self.params.top_ratio is None and self.params.topk is None):
            return keep
        wanted = sample_size(count, self.params.top_ratio, self.params.topk)
        if wanted >= count:
            return keep
        values = ranking_numbers(keys.column("value"))
        # rank: best first, missing last, ties by row id (keys come sorted by row id)
        best_first = -values if self.params.reverse else values
        order = np.argsort(np.nan_to_num(best_first, nan=np.inf), kind="stable")
        keep[:] = False
        keep[order[:wanted]] = True
        return keep

