from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams


class PunctuationFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_num_sentences_without_endmark_ratio` of the
    non-blank lines do not end (after whitespace) with `. ? ! " '` (NeMo Curator's
    PunctuationFilter, from C4). A document without lines is dropped."""

    name = "punctuation_filter"
    score_name = "no_end_mark_ratio"
    cutoff = "max_num_sentences_without_endmark_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_num_sentences_without_endmark_ratio: float = Field(
            0.85, ge=0, description="Largest share of lines without an end mark.")

    def score(self, text):
        lines = heuristics.sentences(text)
        ws = kernels.char_class(kernels.python_whitespace())
        ends = lines.matches(rf"[.?!\"'][{ws}]*$")
        return heuristics.ratio(lines.per_document(~ends), lines.per_document())
