from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class RepeatedParagraphsByCharFilter(CutoffFilter, Filter):
    """Keep documents in which distinct paragraphs (split on blank lines) hold at least
    `max_repeated_paragraphs_char_ratio` of the paragraphs' characters (NeMo Curator's
    RepeatedParagraphsByCharFilter, from Gopher; the parameter keeps NeMo's name although
    it is a minimum). A document without characters is dropped."""

    name = "repeated_paragraphs_by_char_filter"
    score_name = "distinct_paragraphs_char_ratio"
    cutoff = "max_repeated_paragraphs_char_ratio"
    keeps = ">="
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_repeated_paragraphs_char_ratio: float = Field(
            0.8, ge=0, description="Smallest share of characters in distinct paragraphs.")

    def score(self, text):
        return heuristics.distinct_share(heuristics.paragraphs(text), by_chars=True)
