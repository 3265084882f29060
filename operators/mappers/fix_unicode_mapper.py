from __future__ import annotations

from typing import Optional

import pyarrow as pa
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
        return pa.array([fix(value, normalization=form) for value in text.to_pylist()],
                        type=pa.string())
