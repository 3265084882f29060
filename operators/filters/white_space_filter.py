from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class WhiteSpaceFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_white_space_ratio` of the characters are tabs,
    newlines, carriage returns, backspaces or spaces (NeMo Curator's WhiteSpaceFilter;
    leading and trailing ones count). An empty document scores 1.0."""

    name = "white_space_filter"
    score_name = "white_space_ratio"
    cutoff = "max_white_space_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_white_space_ratio: float = Field(0.25, ge=0, description="Largest share of "
                                             "whitespace characters.")

    def score(self, text):
        spaces = kernels.count_in_class(kernels.code_points(text), kernels.chars_table("\t\n\r\b "))
        return heuristics.char_ratio(text, spaces)
