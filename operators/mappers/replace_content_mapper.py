from __future__ import annotations

from typing import Union

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.text import regex
from juicer.core.operator import Mapper, OpParams


class ReplaceContentMapper(Mapper):
    """Replace what regular expressions match, in order: each pattern with its own
    replacement (`repl` a list of the same length) or all with one (`repl` a string).

    Patterns use Python's syntax and meaning (`\\w`, `\\s`, `\\d` are Unicode-aware) and run
    as RE2, in linear time; `.` also matches line breaks, as in Data-Juicer (DOTALL)."""

    name = "replace_content_mapper"

    class Params(OpParams):
        pattern: Union[str, list[str], None] = Field(
            None, description="A regular expression or a list of them; empty changes nothing.")
        repl: Union[str, list[str]] = Field(
            "", description="The replacement, or one replacement per pattern.")

        @model_validator(mode="after")
        def _consistent(self):
            patterns = self.patterns()
            if isinstance(self.repl, list) and len(self.repl) != len(patterns):
                raise ValueError(f"{len(patterns)} patterns but {len(self.repl)} replacements; "
                                 f"give one replacement per pattern or a single string")
            for index, pattern in enumerate(patterns):
                regex.checked(pattern, f"pattern {index + 1}" if len(patterns) > 1 else "pattern")
            return self

        def patterns(self) -> list[str]:
            if self.pattern is None:
                return []
            return [self.pattern] if isinstance(self.pattern, str) else list(self.pattern)

        def replacements(self) -> list[str]:
            if isinstance(self.repl, list):
                return list(self.repl)
            return [self.repl] * len(self.patterns())

    def map_text(self, text: pa.Array) -> pa.Array:
        for pattern, replacement in zip(self.params.patterns(), self.params.replacements()):
            text = regex.sub(text, pattern, replacement)
        return text
