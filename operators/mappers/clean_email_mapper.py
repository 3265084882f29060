from __future__ import annotations

import pyarrow as pa

from juicer.core.operator import Mapper
from juicer_operators.mappers.pattern_params import PatternParams


class CleanEmailMapper(Mapper):
    """Remove e-mail addresses (or replace them with `repl`).

    The built-in pattern is Data-Juicer's: `[A-Za-z0-9.\\-+_]+@[a-z0-9.\\-+_]+\\.[a-z]+`
    (domains in lower case only, as there). For redaction with tags and more kinds of
    personal data, see `pii_redaction_mapper`."""

    name = "clean_email_mapper"

    class Params(PatternParams):
        _default_pattern = r"[A-Za-z0-9.\-+_]+@[a-z0-9.\-+_]+\.[a-z]+"

    def map_text(self, text: pa.Array) -> pa.Array:
        return self.params.rewrite(text)
