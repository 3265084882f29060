from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import segmenters, words
from juicer.core.batch import Batch
from juicer.core.operator import Filter, WordsParams, range_rules


class WordRepetitionFilter(Filter):
    """Keep documents whose word n-gram repetition ratio lies in [min_ratio, max_ratio].

    Words as Data-Juicer refines them (split on space, newline and tab; lowercased; special
    characters stripped from both ends; empty pieces dropped). The ratio is the share of
    `rep_len`-word n-grams whose n-gram occurs more than once in the document; 0.0 when the
    document has fewer than `rep_len` words. Same formula as Data-Juicer's filter of this
    name; n-grams are counted by 64-bit hash, vectorized over the batch."""

    name = "word_repetition_filter"
    stats = {"word_rep_ratio": pa.float64()}

    class Params(WordsParams):
        _range = ("min_ratio", "max_ratio")
        rep_len: int = Field(10, gt=0, description="Length of the word n-grams.")
        min_ratio: float = Field(0.0, ge=0, description="Lowest repetition ratio kept.")
        max_ratio: float = Field(0.5, ge=0, description="Highest repetition ratio kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        lang = self.params.lang if self.params.tokenization else None
        grams = segmenters.words_of_batch(batch, self.text_field(text_field), lang).ngrams(self.params.rep_len)
        return {"word_rep_ratio": pa.array(words.repeated_share(grams))}

    def rules(self):
        return range_rules(self.params, "word_rep_ratio", "min_ratio", "max_ratio")

