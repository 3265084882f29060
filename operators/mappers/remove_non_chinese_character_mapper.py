from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import kernels
from juicer.core.operator import Mapper, OpParams

# Data-Juicer's punctuation kept with keep_punc
_PUNCTUATION = ".， ,-。%《*》/•、&＆(—)（+）：？!！“”·"


class RemoveNonChineseCharacterMapper(Mapper):
    """Remove every character that is not a common Chinese character (U+4E00-U+9FA5),
    keeping ASCII letters, ASCII digits and common Chinese and ASCII punctuation unless told
    not to. Same character set as Data-Juicer's mapper of this name; note that line breaks
    are removed too."""

    name = "remove_non_chinese_character_mapper"

    class Params(OpParams):
        keep_alphabet: bool = Field(True, description="Keep ASCII letters.")
        keep_number: bool = Field(True, description="Keep ASCII digits.")
        keep_punc: bool = Field(True, description=f"Keep these punctuation marks: {_PUNCTUATION}")

    def map_text(self, text: pa.Array) -> pa.Array:
        params = self.params
        kept = r"\x{4E00}-\x{9FA5}" + ("A-Za-z" if params.keep_alphabet else "") + (
            "0-9" if params.keep_number else "") + (
            kernels.char_class(_PUNCTUATION) if params.keep_punc else "")
        return pc.replace_substring_regex(text, f"[^{kept}]+", "")
