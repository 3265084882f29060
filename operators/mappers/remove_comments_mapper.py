from __future__ import annotations

from typing import Union

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.operator import Mapper, OpParams


class RemoveCommentsMapper(Mapper):
    """Remove LaTeX comments: whole comment lines (`%` at the start of a line, with their
    line break) and inline comments (`%` to the end of the line, when not escaped as `\\%`).

    Same rules as Data-Juicer's mapper of this name, including its quirk that an inline
    comment takes the character before the `%` with it (so `a %x` becomes `a`, and a comment
    line right after a line break takes that break). `doc_type` is accepted for its recipes;
    only LaTeX is handled."""

    name = "remove_comments_mapper"

    class Params(OpParams):
        doc_type: Union[str, list[str]] = Field("tex", description="Document type(s); only "
                                                "`tex` is handled.")
        inline: bool = Field(True, description="Remove inline comments.")
        multiline: bool = Field(True, description="Remove whole comment lines.")

    def map_text(self, text: pa.Array) -> pa.Array:
        if self.params.inline:
            text = pc.replace_substring_regex(text, r"(?m)[^\\]%.+$", "")
        if self.params.multiline:
            text = pc.replace_substring_regex(text, r"(?m)^%.*\n?", "")
        return text
