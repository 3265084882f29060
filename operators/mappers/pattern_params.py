"""Options shared by the mappers that replace what a regular expression matches."""
from __future__ import annotations

from typing import ClassVar, Optional

from pydantic import Field, model_validator

from juicer.text import regex
from juicer.core.operator import OpParams


class PatternParams(OpParams):
    #: the pattern used when `pattern` is not given (RE2 syntax)
    _default_pattern: ClassVar[str] = ""
    pattern: Optional[str] = Field(
        None, description="Regular expression to replace (Python syntax, run as linear-time "
        "RE2); empty uses the built-in one.")
    repl: str = Field("", description="Replacement for each match.")

    @model_validator(mode="after")
    def _valid(self):
        if self.pattern is not None:
            regex.checked(self.pattern)
        regex.to_re2_replacement(self.repl)
        return self

    def rewrite(self, text):
        if self.pattern is None:
            import pyarrow.compute as pc

            return pc.replace_substring_regex(text, "(?s)" + self._default_pattern,
                                              regex.to_re2_replacement(self.repl))
        return regex.sub(text, self.pattern, self.repl)
