from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class NumbersFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_number_to_text_ratio` of the characters are
    ASCII digits (NeMo Curator's NumbersFilter). An empty document scores 1.0."""

    name = "numbers_filter"
    score_name = "numbers_ratio"
    cutoff = "max_number_to_text_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_number_to_text_ratio: float = Field(0.15, ge=0, description="Largest share of digits.")

    def score(self, text):
        return heuristics.char_ratio(text, kernels.count_matches(text, "[0-9]"))
