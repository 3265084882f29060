"""The shape NeMo Curator's heuristic filters share: one score per document, kept when it
passes one cutoff (CutoffFilter), and NeMo's `lang` option for how words are split
(WhitespaceWordsParams). The pieces the scores are computed from are juicer.text.heuristics."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.operator import OpParams
from juicer.core.rules import bound
from juicer.text.heuristics import stat


class CutoffFilter:
    """Mixin for filters that keep a document when one score passes one cutoff, as NeMo
    Curator's DocumentFilters do: set `score_name`, `cutoff` (the Params field) and
    `keeps` (">=" or "<="), and write `score(text)`. An undefined score (NaN: no words, no
    lines) fails the cutoff, so such documents are dropped."""

    score_name: str = ""
    cutoff: str = ""
    keeps: str = "<="

    def score(self, text: pa.Array) -> np.ndarray:
        raise NotImplementedError

    def compute_stats(self, batch, text_field: str) -> dict:
        return {self.score_name: stat(self.score(batch.text(self.text_field(text_field))))}

    def rules(self):
        return [bound(self.cutoff, self.score_name, self.keeps, getattr(self.params, self.cutoff))]


class WhitespaceWordsParams(OpParams):
    """NeMo Curator's `lang`: words are split on whitespace, as NeMo does for every
    language but Chinese (jieba) and Japanese (MeCab with unidic-lite), extra `cjk`."""

    lang: str = Field("en", description="Language of the documents: words are split on "
                      "whitespace, Chinese (zh) with jieba, Japanese (ja) with MeCab.")
