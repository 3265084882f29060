from __future__ import annotations

import pyarrow as pa
from pydantic import Field, field_validator

from juicer.text import kernels
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class AlphanumericFilter(Filter):
    """Keep documents whose share of alphanumeric characters lies in [min_ratio, max_ratio].

    `alnum_ratio` counts characters for which Python's `str.isalnum()` is true, divided by
    the text length (0.0 for empty text), as Data-Juicer and the BigScience filters do."""

    name = "alphanumeric_filter"
    stats = {"alnum_ratio": pa.float64()}

    class Params(RangeParams):
        _range = ("min_ratio", "max_ratio")
        tokenization: bool = Field(
            False, description="Ratio of letters to tokenizer tokens (not supported yet).")
        min_ratio: float = Field(0.25, ge=0, description="Lowest alphanumeric share kept.")
        max_ratio: float = Field(float(MAX_INT), ge=0, description="Highest alphanumeric share kept.")

        @field_validator("tokenization")
        @classmethod
        def _no_tokenizer(cls, value: bool) -> bool:
            if value:
                raise ValueError(
                    "tokenization=true needs a Hugging Face tokenizer, which model operators "
                    "will bring; use tokenization: false (character ratio)")
            return value

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        alnum = kernels.count_in_class(batch.code_points(field), kernels.class_table("isalnum"))
        return {"alnum_ratio": pa.array(kernels.safe_ratio(alnum, batch.char_length(field)))}

    def rules(self):
        return range_rules(self.params, "alnum_ratio", "min_ratio", "max_ratio")
