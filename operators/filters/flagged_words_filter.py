from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import Filter, range_rules
from juicer_operators.filters.word_lists import WordListParams, word_list_share


class FlaggedWordsFilter(Filter):
    """Keep documents whose share of flagged (obscene, offensive) words lies in
    [min_ratio, max_ratio].

    `flagged_words_ratio` is the number of refined words (split on space, newline and tab,
    lowercased, special characters stripped from both ends) on the flagged list, divided by
    the number of refined words; 0.0 for no words. Same formula as Data-Juicer's filter of
    this name. The shipped lists are LDNOOBW's for 27 languages (the list C4 uses), which
    differ from Data-Juicer's: set `flagged_words_dir` to use those. Multi-word entries
    never match single words, as in Data-Juicer."""

    name = "flagged_words_filter"
    stats = {"flagged_words_ratio": pa.float64()}

    class Params(WordListParams):
        _kind = "flagged_words"
        min_ratio: float = Field(0.0, ge=0, description="Lowest flagged-word share kept.")
        max_ratio: float = Field(0.045, ge=0, description="Highest flagged-word share kept.")
        flagged_words_dir: Optional[str] = Field(
            None, description="Folder of `<lang>.txt` lists or Data-Juicer's "
            "flagged_words.json; empty uses the shipped lists.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        return {"flagged_words_ratio": pa.array(word_list_share(self, batch, text_field))}

    def rules(self):
        return range_rules(self.params, "flagged_words_ratio", "min_ratio", "max_ratio")
