from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from juicer.operator import Mapper, OpParams


class FixUnicodeMapper(Mapper):
    """Repair mojibake and broken Unicode with ftfy, then apply a Unicode normalization.

    ftfy's `fix_text` with its defaults, as Data-Juicer calls it, does more than undo text
    decoded with the wrong codec ("cafÃ©" -> "café"); each of these can be turned off in
    `ftfy` (e.g. `ftfy: {uncurl_quotes: false}`):

    - `fix_encoding`: mojibake; `restore_byte_a0`, `replace_lossy_sequences`,
      `decode_inconsistent_utf8`: its harder cases
    - `unescape_html`: HTML entities (`&amp;` -> `&`), in text without tags
    - `uncurl_quotes`: curly quotes become straight ones (“ ” ‘ ’ -> " ')
    - `fix_latin_ligatures`: ligatures become letters (ﬁ -> fi)
    - `fix_character_width`: full-width Latin and half-width katakana become ordinary
      width (Ａ -> A)
    - `fix_line_breaks`: CR LF, a lone CR, U+2028 and U+2029 become LF
    - `remove_terminal_escapes`, `fix_c1_controls`, `remove_control_chars`,
      `fix_surrogates`: terminal colour codes, C1 and other control characters, and
      surrogate pairs written as two characters

    `normalization` defaults to NFC, as in Data-Juicer. Printable ASCII text without `&`
    or control characters is left alone without calling ftfy (it would not change it)."""

    name = "fix_unicode_mapper"

    class Params(OpParams):
        normalization: Optional[str] = Field(
            None, description="Unicode normalization form: NFC (default), NFKC, NFD or NFKD.")

        ftfy: dict[str, bool] = Field(
            {}, description="ftfy's fixes to turn off, e.g. {uncurl_quotes: false} (see above).")

        @field_validator("ftfy")
        @classmethod
        def _known_fixes(cls, value: dict[str, bool]) -> dict[str, bool]:
            unknown = sorted(set(value) - set(FTFY_FIXES))
            if unknown:
                raise ValueError(f"unknown ftfy fix {', '.join(unknown)}; known: "
                                 f"{', '.join(FTFY_FIXES)}")
            turned_on = sorted(name for name, on in value.items() if on)
            if turned_on:  # every fix is on by default; only turning one off means something
                raise ValueError(f"{', '.join(turned_on)} is on by default; list only the "
                                 "fixes to turn off (false)")
            return value

        @field_validator("normalization")
        @classmethod
        def _known_form(cls, value: Optional[str]) -> Optional[str]:
            if value and value.upper() not in ("NFC", "NFKC", "NFD", "NFKD"):
                raise ValueError(f"'{value}' is not a Unicode normalization form; use one of "
                                 "NFC, NFKC, NFD, NFKD")
            return value

    def setup(self) -> None:
        import ftfy

        self._config = ftfy.TextFixerConfig(
            normalization=(self.params.normalization or "NFC").upper(),
            **{name: False for name in self.params.ftfy})
        self._fix_text = ftfy.fix_text

    def map_text(self, text: pa.Array) -> pa.Array:
        self.ensure_setup()
        fix, config = self._fix_text, self._config
        # ftfy is pure Python; skip documents it provably leaves alone: printable ASCII with
        # tabs and newlines only (no '&' entities, no '\r' line breaks, no control chars).
        untouched = pc.and_(pc.string_is_ascii(text),
                            pc.invert(pc.match_substring_regex(text, _FTFY_ASCII_TRIGGERS)))
        todo = np.flatnonzero(~untouched.to_numpy(zero_copy_only=False))
        if len(todo) == 0:
            return text
        values = text.to_pylist()
        for index in todo:
            values[index] = fix(values[index], config)
        return pa.array(values, type=pa.string())


# the fixes of ftfy's TextFixerConfig (all on by default)
FTFY_FIXES = ("fix_encoding", "restore_byte_a0", "replace_lossy_sequences",
              "decode_inconsistent_utf8", "unescape_html", "uncurl_quotes",
              "fix_latin_ligatures", "fix_character_width", "fix_line_breaks",
              "remove_terminal_escapes", "fix_c1_controls", "remove_control_chars",
              "fix_surrogates")
_FTFY_ASCII_TRIGGERS = r"[\x00-\x08\x0b-\x1f\x7f&]"
