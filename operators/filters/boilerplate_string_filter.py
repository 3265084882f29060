from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams

# C4's policy phrases and NeMo Curator's additions, compared lowercased
POLICY_SUBSTRINGS = ["terms of use", "privacy policy", "cookie policy", "uses cookies",
                     "privacy overview", "use of cookies", "use cookies",
                     "privacy & cookies policy", "privacy and cookies policy"]


class BoilerplateStringFilter(CutoffFilter, Filter):
    """Keep documents in which at most `max_boilerplate_string_ratio` of the paragraphs
    (split on blank lines) mention terms of use, privacy or cookie policies; a paragraph
    with "lorem ipsum" scores the document 1.0 (NeMo Curator's BoilerPlateStringFilter,
    adapted from C4). Comparisons are case-insensitive. NeMo also lists five whole
    cookie-banner paragraphs; two of them contain "uses cookies" and match here too, the
    other three are not matched unless they contain one of these phrases."""

    name = "boilerplate_string_filter"
    score_name = "boilerplate_string_ratio"
    cutoff = "max_boilerplate_string_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_boilerplate_string_ratio: float = Field(0.4, ge=0, description="Largest share of "
                                                    "boilerplate paragraphs.")
        remove_if_at_top_or_bottom: bool = Field(True, description="Kept for NeMo Curator "
                                                 "configurations (it does not change the score).")

    def score(self, text):
        paragraphs = heuristics.paragraphs(text)
        policy = paragraphs.matches("(?i)" + "|".join(re.escape(p) for p in POLICY_SUBSTRINGS))
        lorem = paragraphs.per_document(paragraphs.matches("(?i)lorem ipsum")) > 0
        share = heuristics.ratio(paragraphs.per_document(policy), paragraphs.per_document())
        return np.where(lorem, 1.0, share)

