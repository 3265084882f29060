from __future__ import annotations

from typing import Union

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import kernels
from juicer.core.operator import Mapper, OpParams


class RemoveSpecificCharsMapper(Mapper):
    """Remove every occurrence of the given characters (by default Data-Juicer's list of
    decorative bullets and shapes: ◆●■►▼▲▴∆▻▷❖♡□)."""

    name = "remove_specific_chars_mapper"

    class Params(OpParams):
        chars_to_remove: Union[str, list[str]] = Field(
            "◆●■►▼▲▴∆▻▷❖♡□", description="Characters to remove: a string of them or a list.")

    def map_text(self, text: pa.Array) -> pa.Array:
        chars = "".join(self.params.chars_to_remove)
        if not chars:
            return text
        return pc.replace_substring_regex(text, f"[{kernels.char_class(chars)}]", "")
