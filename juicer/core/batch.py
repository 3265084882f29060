"""A batch of documents: an Arrow table plus derived views computed once per batch.

Two operators that need the same view (lines, words, lengths) share one computation; when
rows are filtered, the views are filtered with them instead of being recomputed.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels
from juicer.errors import OperatorError

ROW_ID = "__row_id__"
STATS = "__stats__"
DROP_REASON = "__drop_reason__"


class Batch:
    def __init__(self, table: pa.Table):
        self.table = table
        self._views: dict[tuple[str, str], Any] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def text(self, field: str) -> pa.Array:
        """The text column as one contiguous string array, nulls read as ''."""
        return self.view("text", field, lambda: _text_array(self.table, field))

    def code_points(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """All characters as int32 code points plus per-row offsets (see kernels)."""
        return self.view("code_points", field, lambda: kernels.code_points(self.text(field)))

    def line_lengths(self, field: str) -> pa.ListArray:
        """Length of every line (str.splitlines() semantics) of every document."""
        return self.view("line_lengths", field, lambda: kernels.line_lengths(self.text(field)))

    def char_length(self, field: str) -> np.ndarray:
        return self.view("char_length", field, lambda: kernels.char_length(self.text(field)))

    def view(self, name: str, field: str, compute: Callable[[], Any]) -> Any:
        """Memoized derived data for `field` (an Arrow/numpy array with one entry per row)."""
        key = (name, field)
        if key not in self._views:
            self._views[key] = compute()
        return self._views[key]

    def with_table(self, table: pa.Table) -> "Batch":
        """Same rows, more columns (e.g. stats added): the views stay valid."""
        child = Batch(table)
        child._views = dict(self._views)
        return child

    def filter(self, keep: np.ndarray) -> "Batch":
        """Rows where `keep` is true; views come along, filtered the same way."""
        if keep.all():
            return self
        mask = pa.array(keep, type=pa.bool_())
        child = Batch(self.table.filter(mask))
        for key, value in self._views.items():
            if isinstance(value, np.ndarray):
                child._views[key] = value[keep]
            elif isinstance(value, (pa.Array, pa.ChunkedArray)):
                child._views[key] = value.filter(mask)
            elif hasattr(value, "keep_documents"):  # per-token views (spaCy tokens)
                child._views[key] = value.keep_documents(keep)
            # views of other shapes (code points) are recomputed on demand
        return child


def nested_field(table: pa.Table, dotted: str) -> pa.Array:
    """The values at a dotted path (`meta.score`) of a table; a clear error if absent."""
    first, *rest = dotted.split(".")
    if first not in table.column_names:
        raise OperatorError(f"field '{first}' (of field_key '{dotted}') is not in the data; "
                            f"columns: {', '.join(c for c in table.column_names if c != ROW_ID)}")
    values = table.column(first).combine_chunks()
    for depth, name in enumerate(rest):
        if not pa.types.is_struct(values.type) or values.type.get_field_index(name) < 0:
            raise OperatorError(f"'{'.'.join([first, *rest[:depth]])}' has no field '{name}' "
                                f"(field_key '{dotted}')")
        values = pc.struct_field(values, name)
    return values


def steps_with_stat(table: pa.Table, stat: str) -> list[str]:
    """The ids of the earlier steps whose stats (under `__stats__`) include `stat`, in
    pipeline order."""
    if STATS not in table.column_names:
        return []
    steps = table.schema.field(STATS).type
    return [steps.field(i).name for i in range(steps.num_fields)
            if pa.types.is_struct(steps.field(i).type)
            and steps.field(i).type.get_field_index(stat) >= 0]


def _text_array(table: pa.Table, field: str) -> pa.Array:
    from juicer.core import fields

    if table.num_rows == 0 and field not in table.column_names:
        return pa.array([], pa.string())  # no rows: an empty table may lack the field
    if field not in table.column_names and not fields.is_path(table, field):
        raise KeyError(f"no field '{field}' in the data (fields: {', '.join(table.column_names)})")
    array = fields.text_values(table, field)
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    if array.null_count:
        array = pc.fill_null(array, "")
    return array
