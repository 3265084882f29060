from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import words
from juicer.core.batch import Batch
from juicer.core.operator import Filter, RangeParams, range_rules


class CharacterRepetitionFilter(Filter):
    """Keep documents whose character n-gram repetition ratio lies in [min_ratio, max_ratio].

    Over all `rep_len`-character n-grams of the text (code points, case kept): take the
    k most frequent distinct n-grams, k = min(floor(sqrt(distinct n-grams)), distinct
    n-grams seen more than once), and divide their occurrences by the number of n-grams.
    0.0 for texts shorter than `rep_len`. The rule is from the BigScience ROOTS filters, as
    Data-Juicer computes it; n-grams are counted by 64-bit hash, vectorized over the batch."""

    name = "character_repetition_filter"
    stats = {"char_rep_ratio": pa.float64()}

    class Params(RangeParams):
        _range = ("min_ratio", "max_ratio")
        rep_len: int = Field(10, gt=0, description="Length of the character n-grams.")
        min_ratio: float = Field(0.0, ge=0, description="Lowest repetition ratio kept.")
        max_ratio: float = Field(0.5, ge=0, description="Highest repetition ratio kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        ratio = words.char_repetition(batch.text(field), self.params.rep_len,
                                      batch.code_points(field))
        return {"char_rep_ratio": pa.array(ratio)}

    def rules(self):
        return range_rules(self.params, "char_rep_ratio", "min_ratio", "max_ratio")
