from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import MAX_INT, Filter, RangeParams, Rule, range_rules


class SpecifiedNumericFieldFilter(Filter):
    """Keep documents whose numeric field lies in [min_value, max_value]. `field_key`
    reaches nested fields with dots; numbers written as strings ("3.5") count, as in
    Data-Juicer; a document whose value is missing or not a number is dropped (rule
    `numeric`). Empty `field_key` keeps everything."""

    name = "specified_numeric_field_filter"
    stats = {"field_value": pa.float64()}

    class Params(RangeParams):
        _range = ("min_value", "max_value")
        field_key: str = Field("", description="Field to check; dots reach nested fields.")
        min_value: float = Field(-float(MAX_INT), description="Lowest value kept.")
        max_value: float = Field(float(MAX_INT), description="Highest value kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if not self.params.field_key:
            return {"field_value": pa.array(np.zeros(len(batch)))}
        return {"field_value": pa.array(as_numbers(nested_field(batch.table, self.params.field_key)))}

    def rules(self):
        if not self.params.field_key:
            return []
        return [Rule("numeric", "field_value", "is", "number", lambda v: ~np.isnan(v)),
                *range_rules(self.params, "field_value", "min_value", "max_value")]


def as_numbers(values: pa.Array) -> np.ndarray:
    """float64 of each value; NaN where it is missing or not a number."""
    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind) \
            or pa.types.is_decimal(kind):
        return pc.fill_null(values.cast(pa.float64()), float("nan")).to_numpy(zero_copy_only=False)
    out = np.full(len(values), np.nan)
    for index, value in enumerate(values.to_pylist()):
        try:
            out[index] = float(value)
        except (TypeError, ValueError):
            pass
    return out
