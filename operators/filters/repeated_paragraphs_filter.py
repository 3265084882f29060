from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class RepeatedParagraphsFilter(CutoffFilter, Filter):
    """Keep documents in which distinct paragraphs (split on blank lines) make at least
    `max_repeated_paragraphs_ratio` of the paragraphs (NeMo Curator's
    RepeatedParagraphsFilter, from Gopher; the parameter keeps NeMo's name although it is a
    minimum)."""

    name = "repeated_paragraphs_filter"
    score_name = "distinct_paragraphs_ratio"
    cutoff = "max_repeated_paragraphs_ratio"
    keeps = ">="
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_repeated_paragraphs_ratio: float = Field(0.7, ge=0, description="Smallest "
                                                     "share of distinct paragraphs.")

    def score(self, text):
        return heuristics.distinct_share(heuristics.paragraphs(text), by_chars=False)
