from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class ParenthesesFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_parentheses_ratio` of the characters are
    brackets: `( ) [ ] { } ⟨ ⟩` (NeMo Curator's ParenthesesFilter). An empty document
    scores 1.0."""

    name = "parentheses_filter"
    score_name = "parentheses_ratio"
    cutoff = "max_parentheses_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_parentheses_ratio: float = Field(0.1, ge=0, description="Largest share of brackets.")

    def score(self, text):
        return heuristics.char_ratio(text, kernels.count_matches(text, r"[{}⟨⟩\[\]()]"))
