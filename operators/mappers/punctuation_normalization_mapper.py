from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.text import kernels
from juicer.core.operator import Mapper, OpParams

# Data-Juicer's table: full-width and typographic punctuation -> ASCII.
PUNCTUATION = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"',
    "１": '"', "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":",
    "？": "?", "！": "!", "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ",
    "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]",
    "％": "%", "►": "-",
}
_TABLE = str.maketrans(PUNCTUATION)


class PunctuationNormalizationMapper(Mapper):
    """Replace full-width and typographic punctuation with ASCII: `，` -> `,`, `“”«»„` ->
    `"`, `—` -> ` - `, `…` -> `...` and so on (Data-Juicer's table of 34 characters,
    including its mapping of the full-width digit `１` to `"`)."""

    name = "punctuation_normalization_mapper"
    Params = OpParams

    def map_text(self, text: pa.Array) -> pa.Array:
        touched = pc.match_substring_regex(text, f"[{kernels.char_class(PUNCTUATION)}]")
        rows = np.flatnonzero(touched.to_numpy(zero_copy_only=False))
        if len(rows) == 0:
            return text
        # str.translate is one C call per touched document
        values = text.to_pylist()
        for index in rows:
            values[index] = values[index].translate(_TABLE)
        return pa.array(values, pa.string())
