from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import Filter, range_rules
from juicer_operators.filters.word_lists import WordListParams, word_list_share


class StopwordsFilter(Filter):
    """Keep documents whose share of stop words lies in [min_ratio, max_ratio]: prose has
    many, lists of keywords, tables and boilerplate few.

    `stopwords_ratio` is the number of refined words (split on space, newline and tab,
    lowercased, special characters stripped from both ends) that are stop words, divided by
    the number of refined words; 0.0 for no words. Same formula as Data-Juicer's filter of
    this name. The shipped lists are NLTK's (Snowball) for 28 languages and spaCy's for
    Japanese, which differ from Data-Juicer's BigScience lists: set `stopwords_dir` to use
    those. Languages written without spaces need `use_words_aug`."""

    name = "stopwords_filter"
    stats = {"stopwords_ratio": pa.float64()}

    class Params(WordListParams):
        _kind = "stopwords"
        min_ratio: float = Field(0.3, ge=0, description="Lowest stop-word share kept.")
        max_ratio: float = Field(1.0, ge=0, description="Highest stop-word share kept.")
        stopwords_dir: Optional[str] = Field(
            None, description="Folder of `<lang>.txt` lists or Data-Juicer's stopwords.json; "
            "empty uses the shipped lists.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        return {"stopwords_ratio": pa.array(word_list_share(self, batch, text_field))}

    def rules(self):
        return range_rules(self.params, "stopwords_ratio", "min_ratio", "max_ratio")

