from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import kernels
from juicer.core.operator import Mapper, OpParams
from juicer.text.shingles import hash_strings


class LineDedupWithinDocMapper(Mapper):
    """Remove lines that repeat an earlier line of the same document (menus, share buttons,
    repeated captions), keeping the first. Lines are compared stripped of surrounding
    whitespace, optionally lowercased; lines shorter than `min_line_length` (stripped), such
    as blank lines, are never removed. Line breaks are `\\n`. For lines repeated across
    documents, see `line_deduplicator`."""

    name = "line_dedup_within_doc_mapper"

    class Params(OpParams):
        lowercase: bool = Field(False, description="Compare lines lowercased.")
        min_line_length: int = Field(1, ge=0, description="Shorter lines are never removed.")

    def map_text(self, text: pa.Array) -> pa.Array:
        import polars as pl

        pieces = pc.split_pattern(text, "\n")
        counts = np.diff(pieces.offsets.to_numpy())
        lines = pieces.flatten()
        compared = kernels.strip_python_whitespace(lines)
        if self.params.lowercase:
            compared = pc.utf8_lower(compared)
        doc = np.repeat(np.arange(len(text)), counts)
        frame = pl.DataFrame({"doc": doc, "line": hash_strings(compared)}).with_row_index("at")
        first = frame.group_by("doc", "line").agg(pl.col("at").min())["at"].to_numpy()
        keep = pc.less(pc.utf8_length(compared), self.params.min_line_length).to_numpy(
            zero_copy_only=False)
        keep[first] = True
        if keep.all():
            return text
        kept_doc = doc[keep]
        offsets = np.searchsorted(kept_doc, np.arange(len(text) + 1)).astype(np.int32)
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), lines.filter(pa.array(keep))), "\n")
        return pc.fill_null(joined, "")
