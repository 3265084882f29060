from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams
from juicer_operators.filters.symbols_to_words_filter import ELLIPSIS_MARKS


class EllipsisFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_num_lines_ending_with_ellipsis_ratio` of the
    non-blank lines end (after whitespace, case-insensitively) with an ellipsis mark:
    `...`, `…`, `[...]`, `(...)`, `[…]`, `-»`, "read more" (NeMo Curator's EllipsisFilter,
    from C4). A document without lines is dropped."""

    name = "ellipsis_filter"
    score_name = "ellipsis_line_ratio"
    cutoff = "max_num_lines_ending_with_ellipsis_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_num_lines_ending_with_ellipsis_ratio: float = Field(
            0.3, ge=0, description="Largest share of lines ending with an ellipsis.")

    def score(self, text):
        lines = heuristics.sentences(text)
        stripped = pc.utf8_lower(kernels.strip_python_whitespace(lines.text))
        marks = "|".join(re.escape(mark) for mark in ELLIPSIS_MARKS)
        ending = pc.match_substring_regex(stripped, f"(?:{marks})$").to_numpy(zero_copy_only=False)
        return heuristics.ratio(lines.per_document(ending), lines.per_document())
