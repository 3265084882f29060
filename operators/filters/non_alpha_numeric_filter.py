from __future__ import annotations

import string

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class NonAlphaNumericFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_non_alpha_numeric_to_text_ratio` of the
    characters are other than ASCII letters, digits, newlines and `?!,.` (NeMo Curator's
    NonAlphaNumericFilter, from Gopher). An empty document scores 1.0."""

    name = "non_alpha_numeric_filter"
    score_name = "non_alpha_numeric_ratio"
    cutoff = "max_non_alpha_numeric_to_text_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_non_alpha_numeric_to_text_ratio: float = Field(
            0.25, ge=0, description="Largest share of other characters.")

    def score(self, text):
        # a table lookup per character: RE2 matching every character is several times slower
        alphanumeric = kernels.count_in_class(kernels.code_points(text), kernels.chars_table(
            string.ascii_letters + string.digits + "\n?!,."))
        return heuristics.char_ratio(text, kernels.char_length(text) - alphanumeric)
