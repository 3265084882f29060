from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.text import kernels
from juicer.core.batch import Batch
from juicer.core.operator import Filter, RangeParams, range_rules


class SpecialCharactersFilter(Filter):
    """Keep documents whose share of special characters lies in [min_ratio, max_ratio].

    Special characters are ASCII punctuation, digits and whitespace, the symbol list of the
    BigScience ROOTS filters and every single-code-point emoji
    (`juicer/assets/special_characters.txt`), as in Data-Juicer."""

    name = "special_characters_filter"
    stats = {"special_char_ratio": pa.float64()}

    class Params(RangeParams):
        _range = ("min_ratio", "max_ratio")
        min_ratio: float = Field(0.0, ge=0, description="Lowest special-character share kept.")
        max_ratio: float = Field(0.25, ge=0, description="Highest special-character share kept.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        special = kernels.count_in_class(batch.code_points(field), kernels.class_table("special"))
        return {"special_char_ratio": pa.array(kernels.safe_ratio(special, batch.char_length(field)))}

    def rules(self):
        return range_rules(self.params, "special_char_ratio", "min_ratio", "max_ratio")
