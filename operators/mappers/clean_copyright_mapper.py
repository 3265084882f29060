from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.operator import Mapper, OpParams

# A C-style block comment (the unrolled form: linear time in Python's re too).
_BLOCK_COMMENT = re.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")
_COPYRIGHT = re.compile("copyright", re.IGNORECASE)
# Leading lines that are comments (//, #, --) or empty, each with its line break.
_LEADING_COMMENT_LINES = r"\A(?:(?:(?://|#|--)[^\n]*)?\n)*(?:(?://|#|--)[^\n]*\z)?"


class CleanCopyrightMapper(Mapper):
    """Remove copyright notices from the top of source code: the first `/* ... */` block
    comment when it contains "copyright" (any case); in files without a block comment, the
    leading lines that are comments (`//`, `#`, `--`) or empty.

    Same rule as Data-Juicer's mapper of this name: a file whose first block comment has no
    "copyright" is left unchanged. Files without `/*` are handled by one RE2 replacement
    over the batch; the others (few, in practice) by Python's `re`."""

    name = "clean_copyright_mapper"
    Params = OpParams

    def map_text(self, text: pa.Array) -> pa.Array:
        has_block = pc.match_substring(text, "/*").to_numpy(zero_copy_only=False)
        result = pc.replace_substring_regex(text, _LEADING_COMMENT_LINES, "", max_replacements=1)
        if not has_block.any():
            return result
        values = result.to_pylist()
        originals = text.to_pylist()
        for index in np.flatnonzero(has_block):
            values[index] = _without_copyright(originals[index])
        return pa.array(values, pa.string())


def _without_copyright(text: str) -> str:
    found = _BLOCK_COMMENT.search(text)
    if found is None:
        return re.sub(_LEADING_COMMENT_LINES.replace(r"\z", r"\Z"), "", text, count=1)
    if _COPYRIGHT.search(found.group()):
        return text[:found.start()] + text[found.end():]
    return text
