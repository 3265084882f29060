from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import OpParams, Selector


class TagsSpecifiedFieldSelector(Selector):
    """Keep the documents whose field value is one of `target_tags`; for a list field (a
    document with several tags), those with at least one of them. Empty `field_key` keeps
    everything. Same rule as Data-Juicer's selector for single values, which it requires."""

    name = "tags_specified_field_selector"

    class Params(OpParams):
        field_key: str = Field("", description="Field holding the tag(s); dots reach nested "
                               "fields.")
        target_tags: Optional[list] = Field(None, description="Tags a kept document has.")

    def selection_keys(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if not self.params.field_key:
            return {}
        values = nested_field(batch.table, self.params.field_key).to_pylist()
        wanted = list(self.params.target_tags or [])
        hits = [any(v in wanted for v in value) if isinstance(value, list)
                else value is not None and value in wanted for value in values]
        return {"tagged": pa.array(hits, pa.bool_())}

    def select(self, keys: pa.Table) -> np.ndarray:
        if "tagged" not in keys.column_names:
            return np.ones(keys.num_rows, dtype=bool)
        return keys.column("tagged").to_numpy(zero_copy_only=False).astype(bool)
