from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.operator import Mapper, OpParams

# \newcommand{\name}{value} and \def\name{value}, each ending its line
_NEWCOMMAND = re.compile(r"\\\bnewcommand\b\*?\{(\\[a-zA-Z0-9]+?)\}\{(.*?)\}$", re.MULTILINE)
_DEF = re.compile(r"\\def\s*(\\[a-zA-Z0-9]+?)\s*\{(.*?)\}$", re.MULTILINE)


class ExpandMacroMapper(Mapper):
    """Expand LaTeX macros without arguments: each `\\newcommand{\\name}{value}` or
    `\\def\\name{value}` on a line of its own defines `\\name`, and every use of `\\name`
    followed by a character that is not a letter or digit is replaced by `value`.

    Same rule as Data-Juicer's mapper of this name (a later definition of a name wins;
    macros with arguments are left alone). Values are inserted literally; Data-Juicer
    passes them through escape processing, which fails on non-ASCII values."""

    name = "expand_macro_mapper"
    Params = OpParams

    def map_text(self, text: pa.Array) -> pa.Array:
        candidates = pc.match_substring_regex(text, r"\\newcommand|\\def").to_numpy(
            zero_copy_only=False)
        if not candidates.any():
            return text
        values = text.to_pylist()
        for index in candidates.nonzero()[0]:
            values[index] = expand(values[index])
        return pa.array(values, pa.string())


def expand(document: str) -> str:
    macros: dict[str, str] = {}
    for pattern in (_NEWCOMMAND, _DEF):
        for found in pattern.finditer(document):
            macros[found.group(1)] = found.group(2)
    for name, value in macros.items():
        document = re.sub(re.escape(name) + r"([^a-zA-Z0-9])",
                          lambda match, value=value: value + match.group(1), document)
    return document
