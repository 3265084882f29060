from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import Filter, FilterParams, Rule


class SpecifiedFieldFilter(Filter):
    """Keep documents whose field value is one of `target_value`; for a list field, every
    element must be. `field_key` reaches nested fields with dots (`meta.lang`). Empty
    `field_key` or `target_value` keeps everything; `reversed_range` keeps the others.
    Same rule as Data-Juicer's filter of this name; nulls are in no target list."""

    name = "specified_field_filter"
    stats = {"field_in_target": pa.bool_()}

    class Params(FilterParams):
        field_key: str = Field("", description="Field to check; dots reach nested fields.")
        target_value: list[Any] = Field([], description="Values a kept document's field has.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        params = self.params
        if not (params.field_key and params.target_value):
            return {"field_in_target": pa.array(np.ones(len(batch), dtype=bool))}
        values = nested_field(batch.table, params.field_key)
        return {"field_in_target": pa.array(all_in(values, params.target_value))}

    def rules(self):
        if self.params.reversed_range:
            return [Rule("reversed_range", "field_in_target", "==", False, lambda v: ~v.astype(bool))]
        return [Rule("target_value", "field_in_target", "in", self.params.target_value,
                     lambda v: v.astype(bool))]


def all_in(values: pa.Array, targets: list) -> np.ndarray:
    """Per row: the value (every element, for lists) is in `targets`; nulls never are."""
    offsets = None
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        offsets = values.offsets.to_numpy()
        values = values.flatten()
    member = _is_member(values, targets)
    if offsets is None:
        return member
    missing = np.concatenate([[0], np.cumsum(~member)])
    return missing[offsets[1:]] == missing[offsets[:-1]]


def _is_member(values: pa.Array, targets: list) -> np.ndarray:
    try:
        value_set = pa.array(targets).cast(values.type)
        found = pc.is_in(values, value_set=value_set, skip_nulls=True)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # mixed or uncastable types: Python's `in`, as Data-Juicer compares
        wanted = list(targets)
        return np.array([v is not None and v in wanted for v in values.to_pylist()], dtype=bool)
