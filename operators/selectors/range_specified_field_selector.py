from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import OpParams, Selector
from juicer_operators.selectors.ranking import ranking_numbers


class RangeSpecifiedFieldSelector(Selector):
    """Keep the documents whose rank by a numeric field (smallest first) lies in
    [lower, upper): the bounds are `lower_percentile` / `upper_percentile` shares of the
    document count or `lower_rank` / `upper_rank` counts. When both of a pair are set, the
    lower bound keeping fewer documents and the upper bound keeping fewer documents win, as
    in Data-Juicer. Nothing is removed unless a lower and an upper bound are both given.

    Values rank as Data-Juicer's `stats_to_number` makes them: numbers written as strings
    by their number, a list by its mean. Ties rank by input order, as with Data-Juicer's
    stable heaps; missing and non-numeric values rank lowest. Kept documents stay in input order (Data-Juicer reorders them)."""

    name = "range_specified_field_selector"

    class Params(OpParams):
        field_key: str = Field("", description="Field to rank by; dots reach nested fields.")
        lower_percentile: Optional[float] = Field(None, ge=0, le=1, description="Lower bound "
                                                  "as a share of the documents.")
        upper_percentile: Optional[float] = Field(None, ge=0, le=1, description="Upper bound "
                                                  "as a share of the documents.")
        lower_rank: Optional[int] = Field(None, gt=0, description="Lower bound as a count.")
        upper_rank: Optional[int] = Field(None, gt=0, description="Upper bound as a count.")

    def selection_keys(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if not self.params.field_key:
            return {}
        return {"value": pa.array(ranking_numbers(nested_field(batch.table, self.params.field_key)))}

    def select(self, keys: pa.Table) -> np.ndarray:
        params, count = self.params, keys.num_rows
        keep = np.ones(count, dtype=bool)
        if count <= 1 or not params.field_key or (
                params.lower_percentile is None and params.lower_rank is None) or (
                params.upper_percentile is None and params.upper_rank is None):
            return keep
        lower, upper = 0, count
        if params.lower_percentile is not None:
            lower = int(params.lower_percentile * count)
        if params.lower_rank is not None:
            lower = max(lower, params.lower_rank)
        if params.upper_percentile is not None:
            upper = int(params.upper_percentile * count)
        if params.upper_rank is not None:
            upper = min(upper, params.upper_rank)
        upper = max(lower, upper)
        values = np.nan_to_num(keys.column("value").to_numpy(zero_copy_only=False), nan=-np.inf)
        # the `upper` smallest (ties: earlier first), then of those the `upper - lower`
        # largest (ties: the one ranked earlier first)
        smallest = np.argsort(values, kind="stable")[:upper]
        order = np.lexsort((np.arange(len(smallest)), -values[smallest]))
        keep[:] = False
        keep[smallest[order[:upper - lower]]] = True
        return keep
