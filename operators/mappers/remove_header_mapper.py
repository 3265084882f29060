from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.operator import Mapper, OpParams

_LEVELS = ("chapter", "part", "section", "subsection", "subsubsection", "paragraph",
           "subparagraph")
# one sectioning command: \section, \section*, optional [short title], then {title}
_HEADER = "|".join(rf"\\{level}\b\*?(?:\[(?:.*?)\])?\{{(?:.*?)\}}" for level in _LEVELS)


class RemoveHeaderMapper(Mapper):
    """Remove the preamble of LaTeX documents: everything before the first sectioning
    command (`\\chapter`, `\\part`, `\\section`, `\\subsection`, `\\subsubsection`,
    `\\paragraph`, `\\subparagraph`, starred or with a short title). Documents with no such
    command become empty with `drop_no_head` (then a length filter drops them). Same rule as
    Data-Juicer's mapper of this name."""

    name = "remove_header_mapper"

    class Params(OpParams):
        drop_no_head: bool = Field(True, description="Empty documents that have no "
                                   "sectioning command.")

    def map_text(self, text: pa.Array) -> pa.Array:
        has_header = pc.match_substring_regex(text, f"(?s){_HEADER}")
        stripped = pc.replace_substring_regex(text, f"(?s)^.*?({_HEADER})", r"\1", max_replacements=1)
        if self.params.drop_no_head:
            return pc.if_else(has_header, stripped, pa.scalar("", pa.string()))
        return stripped
