from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams

BULLETS = "•‣⁃⁌⁍∙○●◘◦⦾⦿"


class BulletsFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_bullet_lines_ratio` of the non-blank lines
    start (after whitespace) with a bullet: • ‣ ⁃ ⁌ ⁍ ∙ ○ ● ◘ ◦ ⦾ ⦿ (NeMo Curator's
    BulletsFilter, from Gopher). A document without lines is dropped."""

    name = "bullets_filter"
    score_name = "bullet_ratio"
    cutoff = "max_bullet_lines_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_bullet_lines_ratio: float = Field(0.9, ge=0, description="Largest share of "
                                              "bullet lines.")

    def score(self, text):
        lines = heuristics.sentences(text)
        ws = kernels.char_class(kernels.python_whitespace())
        bullet = lines.matches(f"^[{ws}]*[{kernels.char_class(BULLETS)}]")
        return heuristics.ratio(lines.per_document(bullet), lines.per_document())
