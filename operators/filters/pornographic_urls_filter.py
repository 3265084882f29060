from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.cutoff import CutoffFilter
from juicer.core.operator import Filter, OpParams, Rule
from juicer_operators.filters.urls_filter import URL_CHAR


class PornographicUrlsFilter(CutoffFilter, Filter):
    """Drop documents containing a URL (as `urls_filter` finds them) with "porn" in it
    (NeMo Curator's PornographicUrlsFilter)."""

    name = "pornographic_urls_filter"
    score_name = "pornographic_url"
    stats = {score_name: pa.float64()}
    Params = OpParams

    def score(self, text):
        # a URL is a maximal run of URL characters, all of which "porn" is made of
        found = pc.match_substring_regex(text, f"https?://{URL_CHAR}*porn")
        return found.to_numpy(zero_copy_only=False).astype(np.float64)

    def rules(self):
        return [Rule("pornographic_url", self.score_name, "==", 0)]
