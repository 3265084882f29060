from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import heuristics, kernels, words
from juicer.core.cutoff import CutoffFilter, WhitespaceWordsParams
from juicer.core.operator import Filter
from juicer.text.shingles import span_hashes


class RepeatingTopNgramsFilter(CutoffFilter, Filter):
    """Keep documents in which the most frequent word n-gram (words split on whitespace),
    counted everywhere its words joined by spaces occur in the text, covers at most
    `max_repeating_ngram_ratio` of the characters (NeMo Curator's RepeatingTopNGramsFilter,
    from Gopher). A document with fewer than `n` words scores 1.0. Among equally frequent
    n-grams the first to appear is taken (NeMo's choice depends on set order)."""

    name = "repeating_top_ngrams_filter"
    score_name = "repeating_top_ngram_ratio"
    cutoff = "max_repeating_ngram_ratio"
    stats = {score_name: pa.float64()}

    class Params(WhitespaceWordsParams):
        n: int = Field(2, ge=1, description="Words per n-gram.")
        max_repeating_ngram_ratio: float = Field(0.2, ge=0, description="Largest share of "
                                                 "the text in the top n-gram.")

    def score(self, text):
        import polars as pl

        n = self.params.n
        pieces = heuristics.words(text, self.params.lang)
        cps, offsets = kernels.code_points(pieces.text)
        word_hash = span_hashes(cps, offsets[:-1], offsets[1:])
        starts, gram_doc, gram, _ = words.ngram_spans(pieces.doc, word_hash, np.diff(offsets), n)
        scores = np.ones(len(text))
        if len(starts) == 0:
            return scores
        top = (pl.DataFrame({"doc": gram_doc, "gram": gram, "start": starts})
               .group_by("doc", "gram").agg(pl.len().alias("count"), pl.col("start").min())
               .sort(["doc", "count", "start"], descending=[False, True, False])
               .unique("doc", keep="first"))
        values, texts = pieces.text.to_pylist(), text.to_pylist()
        for doc, start in zip(top["doc"].to_list(), top["start"].to_list()):
            joined = " ".join(values[start:start + n])
            scores[doc] = texts[doc].count(joined) * len(joined) / len(texts[doc])
        return scores
