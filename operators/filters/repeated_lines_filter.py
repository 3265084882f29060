from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class RepeatedLinesFilter(CutoffFilter, Filter):
    """Keep documents in which distinct lines make at least `max_repeated_line_fraction`
    of the non-blank lines (NeMo Curator's RepeatedLinesFilter, from Gopher; the parameter
    keeps NeMo's name although it is a minimum). A document without lines is dropped."""

    name = "repeated_lines_filter"
    score_name = "distinct_lines_ratio"
    cutoff = "max_repeated_line_fraction"
    keeps = ">="
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_repeated_line_fraction: float = Field(0.7, ge=0, description="Smallest share "
                                                  "of distinct lines.")

    def score(self, text):
        return heuristics.distinct_share(heuristics.sentences(text), by_chars=False)
