"""The numbers selectors rank by, as Data-Juicer's `stats_to_number` makes them: numbers as
they are, numbers written as strings parsed ("243" ranks above "33"), a list by the mean of
its numbers; anything else (missing, empty, not a number) is NaN and ranks last."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer_operators.filters.specified_numeric_field_filter import as_numbers


def ranking_numbers(values) -> np.ndarray:
    """float64 per value (NaN: nothing to rank by)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind) or
            pa.types.is_fixed_size_list(kind)):
        return as_numbers(values)
    out = np.full(len(values), np.nan)
    inner = values.type.value_type
    if pa.types.is_integer(inner) or pa.types.is_floating(inner) or pa.types.is_boolean(inner):
        flat = pc.list_flatten(values).cast(pa.float64()).to_numpy(zero_copy_only=False)
        lengths = pc.fill_null(pc.list_value_length(values), 0).to_numpy(zero_copy_only=False)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        filled = lengths > 0
        sums = np.add.reduceat(flat, starts[filled]) if len(flat) else np.zeros(0)
        out[filled] = sums / lengths[filled]  # a null inside makes it NaN, as numpy's mean
        return out
    for index, value in enumerate(values.to_pylist()):
        try:
            out[index] = float(np.asarray([float(v) for v in value]).mean()) if value else np.nan
        except (TypeError, ValueError):
            pass
    return out
