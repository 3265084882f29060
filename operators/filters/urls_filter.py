from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics, kernels
from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams

# NeMo Curator's URL pattern: http or https, then URL characters
URL_CHAR = r"(?:[a-zA-Z]|[0-9]|[$-_@.&+]|[!*\(\),]|(?:%[0-9a-fA-F][0-9a-fA-F]))"
URL = rf"https?://{URL_CHAR}+"


class UrlsFilter(CutoffFilter, Filter):
    """Keep documents in which URLs (`http://` or `https://` and what follows) make at most
    `max_url_to_text_ratio` of the characters (NeMo Curator's UrlsFilter). An empty document
    scores 1.0."""

    name = "urls_filter"
    score_name = "urls_ratio"
    cutoff = "max_url_to_text_ratio"
    stats = {score_name: pa.float64()}

    class Params(OpParams):
        max_url_to_text_ratio: float = Field(0.2, ge=0, description="Largest share of URL "
                                             "characters.")

    def score(self, text):
        without = kernels.char_length(pc.replace_substring_regex(text, URL, ""))
        return heuristics.char_ratio(text, kernels.char_length(text) - without)
