from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from juicer.core.operator import Mapper, OpParams


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

    `normalization` defaults to NFC, as in Data-Juicer. A text ftfy provably leaves alone
    (no character any of these fixes rewrites, nothing that looks like mojibake, already
    normalized) is found in Arrow for the whole batch and skipped without calling ftfy."""

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
        # ftfy is pure Python and walks each line through every fix. Found for the whole
        # batch in Arrow: the documents it provably leaves alone (skipped), and the clean
        # ones (no mojibake, entity, C1 control or escape) whose character fixes one round
        # of whole-text string methods does (see one_round); the rest go to ftfy.
        untouched, bad = scan_for_ftfy(text, config.normalization)
        if untouched.all():
            return text
        patterns = _ftfy_patterns()
        simple = ~untouched & ~bad & ~pc.fill_null(
            pc.match_substring_regex(text, patterns.needs_ftfy), True).to_numpy(
            zero_copy_only=False)
        values = text.to_pylist()
        chosen = np.flatnonzero(simple)
        if len(chosen):
            subset = text.take(pa.array(chosen))
            present = [pc.match_substring_regex(subset, table).to_numpy(zero_copy_only=False)
                       for table in patterns.tables]
            for position, index in enumerate(chosen):
                values[index] = self.one_round(values[index], *(p[position] for p in present))
            # ftfy's next round finds nothing to do in a result it would leave alone: then
            # one round was all of ftfy's work; otherwise (a full-width `＆ａｍｐ；` made
            # narrow is an entity now) ftfy decides
            results = pa.array([values[i] for i in chosen], pa.string())
            simple[chosen[~untouched_by_ftfy(results, config.normalization)]] = False
        for index in np.flatnonzero(~untouched & ~simple):
            values[index] = fix(text[int(index)].as_py(), config)
        return pa.array(values, type=pa.string())

    def one_round(self, text: str, ligatures: bool, widths: bool, controls: bool) -> str:
        """One round of ftfy's fixes on a text without mojibake, entities, C1 controls or
        terminal escapes (its encoding, HTML, C1 and escape fixes change nothing there), in
        ftfy's order. Each fix is local to a character (a CR LF pair stays within one of
        ftfy's lines), so a whole text gives what ftfy gives line by line. The flags say
        whether the text holds a character of each table (str.translate looks up every
        character)."""
        import unicodedata

        import ftfy.chardata as tables

        config = self._config
        if config.fix_latin_ligatures and ligatures:
            text = text.translate(tables.LIGATURES)
        if config.fix_character_width and widths:
            text = text.translate(tables.WIDTH_MAP)
        if config.uncurl_quotes:
            text = tables.SINGLE_QUOTE_RE.sub("'", tables.DOUBLE_QUOTE_RE.sub('"', text))
        if config.fix_line_breaks:
            text = (text.replace("\r\n", "\n").replace("\r", "\n")
                    .replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n"))
        if config.remove_control_chars and controls:
            text = text.translate(tables.CONTROL_CHARS)
        if config.normalization:
            text = unicodedata.normalize(config.normalization, text)
        return text


def untouched_by_ftfy(text: pa.Array, normalization: Optional[str]) -> np.ndarray:
    """Which texts ftfy.fix_text returns unchanged (see scan_for_ftfy)."""
    return scan_for_ftfy(text, normalization)[0]


def scan_for_ftfy(text: pa.Array, normalization: Optional[str]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(untouched, bad): which texts ftfy.fix_text returns unchanged, and which look like
    mojibake. Untouched, whatever fixes are on: the text holds no HTML entity and no
    character one of ftfy's fixes rewrites (C1 and other control characters, ligatures,
    full- and half-width forms, curly quotes, line breaks other than LF, terminal escapes),
    does not look like mojibake (ftfy's own badness pattern, run as RE2: its encoding fix
    changes nothing in a text that is not "bad"), and is already in the normalization
    form. ftfy fixes a text line by line; a text in which no line would
    match matches nowhere, so checking whole texts is exact. Tested against ftfy on the
    sample corpora: the skipped documents are exactly unchanged."""
    patterns = _ftfy_patterns()
    bad = pc.fill_null(pc.match_substring_regex(text, patterns.badness), False).to_numpy(
        zero_copy_only=False)
    untouched = ~pc.fill_null(pc.match_substring_regex(text, patterns.triggers),
                              False).to_numpy(zero_copy_only=False) & ~bad
    if normalization:  # ASCII is in every normalization form: normalize only the rest
        others = np.flatnonzero(~pc.fill_null(pc.string_is_ascii(text), True).to_numpy(
            zero_copy_only=False) & untouched)
        if len(others):
            subset = text.take(pa.array(others))
            normalized = pc.equal(pc.utf8_normalize(subset, normalization), subset)
            untouched[others] = normalized.to_numpy(zero_copy_only=False)
    return untouched, bad


class _Patterns(NamedTuple):
    triggers: str  # a character some ftfy fix rewrites, or an HTML entity
    badness: str  # ftfy's mojibake pattern
    needs_ftfy: str  # what only ftfy itself handles: entities, C1 controls, escapes
    tables: tuple[str, str, str]  # a character of its ligature, width, control tables


@lru_cache(maxsize=1)
def _ftfy_patterns() -> _Patterns:
    """The patterns as RE2, built from ftfy's own tables, so they follow the installed
    ftfy."""
    import ftfy.badness
    import ftfy.chardata as tables

    from juicer.text.kernels import char_class
    from juicer.text.regex import from_verbose, to_re2

    chars = set("\r\x1b\u2028\u2029\x85")
    chars.update(chr(c) for c in range(0x20) if chr(c) not in "\t\n")
    chars.update(chr(c) for c in range(0x7F, 0xA0))  # DEL and the C1 controls
    for table in (tables.CONTROL_CHARS, tables.LIGATURES, tables.WIDTH_MAP):
        chars.update(chr(c) for c in table)
    for quotes in (tables.SINGLE_QUOTE_RE, tables.DOUBLE_QUOTE_RE):
        chars.update(chr(c) for c in range(0x10000) if quotes.match(chr(c)))
    # an ftfy whose entity pattern is not the one known here: any `&` goes to ftfy
    entity = _ENTITY if tables.HTML_ENTITY_RE.pattern == _ENTITY else "&"
    return _Patterns(
        f"[{char_class(chars)}]|{entity}",
        to_re2(from_verbose(ftfy.badness.BADNESS_RE.pattern)),
        f"{entity}|[\\x{{1B}}\\x{{80}}-\\x{{9F}}]",
        tuple(f"[{char_class(chr(c) for c in table)}]"
              for table in (tables.LIGATURES, tables.WIDTH_MAP, tables.CONTROL_CHARS)))


# what only ftfy itself handles: HTML entities (ftfy's HTML_ENTITY_RE: a bare `&` is not
# one), C1 controls (and U+0085, which its line-break fix would turn into LF but its C1 fix
# decodes first), terminal escapes
_ENTITY = r"&#?[0-9A-Za-z]{1,24};"

# the fixes of ftfy's TextFixerConfig (all on by default)
FTFY_FIXES = ("fix_encoding", "restore_byte_a0", "replace_lossy_sequences",
              "decode_inconsistent_utf8", "unescape_html", "uncurl_quotes",
              "fix_latin_ligatures", "fix_character_width", "fix_line_breaks",
              "remove_terminal_escapes", "fix_c1_controls", "remove_control_chars",
              "fix_surrogates")
