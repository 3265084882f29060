from __future__ import annotations

from typing import Literal

import pyarrow as pa
from pydantic import Field

from juicer.core.operator import Mapper, OpParams

# OpenCC's conversion configurations
Mode = Literal["s2t", "t2s", "s2tw", "tw2s", "s2hk", "hk2s", "s2twp", "tw2sp", "t2tw", "tw2t",
               "hk2t", "t2hk", "t2jp", "jp2t"]


class ChineseConvertMapper(Mapper):
    """Convert Chinese between Simplified, Traditional and regional variants with OpenCC
    (`mode`: s2t, t2s, s2tw, tw2s, s2hk, hk2s, s2twp, tw2sp, t2tw, tw2t, hk2t, t2hk, t2jp,
    jp2t), as Data-Juicer does. Text without Chinese passes through unchanged."""

    name = "chinese_convert_mapper"
    requires_packages = {"opencc": "zh"}

    class Params(OpParams):
        mode: Mode = Field("s2t", description="OpenCC conversion configuration.")

    def setup(self) -> None:
        import opencc

        self.converter = opencc.OpenCC(self.params.mode)

    def map_text(self, text: pa.Array) -> pa.Array:
        return pa.array([self.converter.convert(value) for value in text.to_pylist()], pa.string())
