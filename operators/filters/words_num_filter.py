from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import kernels, segmenters
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, WordsParams, range_rules

_SEPARATORS = np.zeros(0x110000, dtype=bool)
_SEPARATORS[[ord(" "), ord("\n"), ord("\t")]] = True


class WordsNumFilter(Filter):
    """Keep documents whose word count lies in [min_num, max_num].

    Words follow Data-Juicer: split on spaces, newlines and tabs, strip special characters
    (punctuation, digits, symbols, emoji) from both ends of each piece, and count the pieces
    that are not empty after stripping. With `tokenization`, the pieces are the words of
    the language's segmenter (jieba for Chinese, MeCab for Japanese, pythainlp for Thai,
    spaCy's rules otherwise) instead of Data-Juicer's sentencepiece tokens."""

    name = "words_num_filter"
    stats = {"num_words": pa.int64()}

    class Params(WordsParams):
        _range = ("min_num", "max_num")
        min_num: int = Field(10, ge=0, description="Fewest words a kept document has.")
        max_num: int = Field(MAX_INT, ge=0, description="Most words a kept document has.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        if self.params.tokenization:  # the segmenter's words, stripped as Data-Juicer does
            return {"num_words": pa.array(segmenters.words_of_batch(batch, field, self.params.lang).per_document())}
        counts = batch.view("dj_words", field, lambda: kernels.count_tokens_with(
            batch.code_points(field), _SEPARATORS, ~kernels.class_table("special")))
        return {"num_words": pa.array(counts)}

    def rules(self):
        return range_rules(self.params, "num_words", "min_num", "max_num")
