from __future__ import annotations

import os
from typing import Union

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.core.operator import Filter, FilterParams, Rule


class SuffixFilter(Filter):
    """Keep documents whose file suffix is one of `suffixes` (`.txt`, `txt` and `TXT` are the
    same). The suffix is read from `suffix_key`: Data-Juicer's `__dj__suffix__` field, or any
    field holding a suffix, a file name or a path (`meta.path`). Empty `suffixes` keeps
    everything; `reversed_range` keeps the others."""

    name = "suffix_filter"
    stats = {"suffix_matches": pa.bool_()}

    class Params(FilterParams):
        suffixes: Union[str, list[str], None] = Field(
            [], description="Suffixes kept: one or a list.")
        suffix_key: str = Field("__dj__suffix__", description="Field with the suffix, file "
                                "name or path; dots reach nested fields.")

        def wanted(self) -> set[str]:
            given = [self.suffixes] if isinstance(self.suffixes, str) else (self.suffixes or [])
            return {_normalized(s) for s in given}

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        wanted = self.params.wanted()
        if not wanted:
            return {"suffix_matches": pa.array(np.ones(len(batch), dtype=bool))}
        values = nested_field(batch.table, self.params.suffix_key).to_pylist()
        return {"suffix_matches": pa.array(
            [isinstance(v, str) and _suffix_of(v) in wanted for v in values], pa.bool_())}

    def rules(self):
        if self.params.reversed_range:
            return [Rule("reversed_range", "suffix_matches", "==", False, lambda v: ~v.astype(bool))]
        return [Rule("suffixes", "suffix_matches", "in", sorted(self.params.wanted()),
                     lambda v: v.astype(bool))]


def _normalized(suffix: str) -> str:
    suffix = suffix.strip().lower()
    return suffix if suffix.startswith(".") else "." + suffix


def _suffix_of(value: str) -> str:
    if "/" not in value and value.count(".") == (1 if value.startswith(".") else 0):
        return _normalized(value)  # a bare suffix: ".txt" or "txt"
    return os.path.splitext(value)[1].lower()
