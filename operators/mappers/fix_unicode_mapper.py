from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from juicer.operator import Mapper, OpParams


class FixUnicodeMapper(Mapper):
    """Repair mojibake and broken Unicode with ftfy, then apply a Unicode normalization.

    ftfy (`fix_text`) undoes text decoded with the wrong codec ("cafÃ©" -> "café"), HTML
    entities and other damage; `normalization` defaults to NFC, as in Data-Juicer."""

    name = "fix_unicode_mapper"

    class Params(OpParams):
        normalization: Optional[str] = Field(
            None, description="Unicode normalization form: NFC (default), NFKC, NFD or NFKD.")

        @field_validator("normalization")
        @classmethod
        def _known_form(cls, value: Optional[str]) -> Optional[str]:
            if value and value.upper() not in ("NFC", "NFKC", "NFD", "NFKD"):
                raise ValueError(f"'{value}' is not a Unicode normalization form; use one of "
                                 "NFC, NFKC, NFD, NFKD")
            return value

    def setup(self) -> None:
        import ftfy

        self._fix_text = ftfy.fix_text
        self._form = (self.params.normalization or "NFC").upper()

    def map_text(self, text: pa.Array) -> pa.Array:
        self.ensure_setup()
        fix, form = self._fix_text, self._form
        # ftfy is pure Python; skip documents it provably leaves alone: printable ASCII with
        # tabs and newlines only (no '&' entities, no '\r' line breaks, no control chars).
        untouched = pc.and_(pc.string_is_ascii(text),
                            pc.invert(pc.match_substring_regex(text, _FTFY_ASCII_TRIGGERS)))
        todo = np.flatnonzero(~untouched.to_numpy(zero_copy_only=False))
        if len(todo) == 0:
            return text
        values = text.to_pylist()
        for index in todo:
            values[index] = fix(values[index], normalization=form)
        return pa.array(values, type=pa.string())


_FTFY_ASCII_TRIGGERS = r"[\x00-\x08\x0b-\x1f\x7f&]"
