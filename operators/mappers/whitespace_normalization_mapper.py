from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels
from juicer.core.operator import Mapper

# Data-Juicer's list (from Wikipedia's "Whitespace character"): tab, the U+2000 spaces,
# no-break spaces, ideographic space, zero-width characters, object replacement, U+0084.
# The plain space is in it too; replacing it by itself is skipped. Newlines are kept.
VARIOUS_WHITESPACES = (
    "\t" + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u00a0\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufffc\u0084"
)


class WhitespaceNormalizationMapper(Mapper):
    """Strip leading and trailing whitespace, then turn every unusual whitespace character
    (tabs, no-break and typographic spaces, zero-width characters) into a plain space.

    Same result as Data-Juicer's mapper of this name: `str.strip()` then a per-character
    replacement; line breaks inside the text are kept."""

    name = "whitespace_normalization_mapper"

    def map_text(self, text: pa.Array) -> pa.Array:
        stripped = kernels.strip_python_whitespace(text)
        return pc.replace_substring_regex(
            stripped, f"[{kernels.char_class(VARIOUS_WHITESPACES)}]", " ")
