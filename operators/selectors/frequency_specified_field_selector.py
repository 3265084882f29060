from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import OpParams, Selector


class FrequencySpecifiedFieldSelector(Selector):
    """Keep the documents whose field value is among the most frequent values: the `topk`
    values, or the `top_ratio` share of the distinct values (the smaller when both are set),
    with every document of each chosen value. `reverse: false` chooses the least frequent
    values instead. Values of equal frequency are chosen in order of first appearance, and
    missing values count as one value, as in Data-Juicer; kept documents stay in input order
    (Data-Juicer groups them by value)."""

    name = "frequency_specified_field_selector"

    class Params(OpParams):
        field_key: str = Field("", description="Field whose values are counted; dots reach "
                               "nested fields.")
        top_ratio: Optional[float] = Field(None, ge=0, le=1, description="Share of the "
                                           "distinct values to keep.")
        topk: Optional[int] = Field(None, gt=0, description="Number of values to keep.")
        reverse: bool = Field(True, description="Keep the most frequent values (false: the "
                              "least frequent).")

    def selection_keys(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if not self.params.field_key:
            return {}
        return {"value": nested_field(batch.table, self.params.field_key)}

    def select(self, keys: pa.Table) -> np.ndarray:
        params, count = self.params, keys.num_rows
        keep = np.ones(count, dtype=bool)
        if count <= 1 or not params.field_key or not (params.top_ratio or params.topk):
            return keep
        # dictionary_encode numbers the distinct values in order of first appearance
        encoded = pc.dictionary_encode(keys.column("value").combine_chunks(), null_encoding="encode")
        value_id = encoded.indices.to_numpy(zero_copy_only=False)
        sizes = np.bincount(value_id, minlength=len(encoded.dictionary))
        if params.top_ratio:
            wanted = params.top_ratio * len(sizes)
            if params.topk and params.topk < wanted:
                wanted = params.topk
        else:
            wanted = params.topk
        by_size = np.argsort(-sizes if params.reverse else sizes, kind="stable")
        chosen = np.zeros(len(sizes), dtype=bool)
        chosen[by_size[:int(wanted)]] = True
        return chosen[value_id]
