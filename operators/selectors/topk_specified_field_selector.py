from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.batch import Batch, nested_field
from juicer.operator import OpParams, Selector
from juicer_operators.selectors.random_selector import sample_size


class TopkSpecifiedFieldSelector(Selector):
    """Keep the `topk` documents (or the `top_ratio` share) with the largest values of a field.

    `field_key` may reach into nested fields with dots, e.g. `meta.score` or a stat of an
    earlier step, `__stats__.words_num_filter.num_words`. `reverse: false` keeps the smallest
    values instead. When both `topk` and `top_ratio` are set the smaller count wins, as in
    Data-Juicer. Ties go to the earlier document; documents without a value are chosen last.
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
        values = keys.column("value")
        # rank: best first, nulls last, ties by row id (keys come sorted by row id)
        order = pc.array_sort_indices(values, null_placement="at_end",
                                      order="descending" if self.params.reverse else "ascending")
        keep[:] = False
        keep[order.to_numpy()[:wanted]] = True
        return keep

