from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer import Mapper
from juicer.operator import OpParams


class StripPrefixMapper(Mapper):
    """Remove a fixed prefix (e.g. "Advertisement\\n") from the start of the documents that
    begin with it."""

    name = "strip_prefix_mapper"

    class Params(OpParams):
        prefix: str = Field(min_length=1, description="Text removed from the start of a "
                            "document.")

    def map_text(self, text: pa.Array) -> pa.Array:
        prefix = self.params.prefix
        # whole batch at once; slicing by code points, as the prefix is counted in them
        return pc.if_else(pc.starts_with(text, prefix),
                          pc.utf8_slice_codeunits(text, len(prefix)), text)
