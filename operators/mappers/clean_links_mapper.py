from __future__ import annotations

import pyarrow as pa

from juicer.core.operator import Mapper
from juicer_operators.mappers.pattern_params import PatternParams

# Data-Juicer's URL pattern (a scheme, `www.`, or `host.tld/`, then the URL up to
# whitespace, allowing balanced parentheses, not ending in punctuation). Its leading `\b`
# is Python's Unicode word boundary, which RE2 lacks: the preceding character is matched
# as group 1 and put back instead.
_NON_WORD_OR_START = r"(^|[^\pL\pN_])"
_URL = (r"(?:[a-z][\w-]+:(?:/{1,3}|[a-z0-9%])|www\d{0,3}[.]|[a-z0-9.\-]+[.][a-z]{2,4}/)"
        r"(?:[^\s()<>]+|\(([^\s()<>]+|(\([^\s()<>]+\)))*\))+"
        r"(?:\(([^\s()<>]+|(\([^\s()<>]+\)))*\)|[^\s`!()\[\]{};:'\".,<>?«»“”‘’])")


class CleanLinksMapper(Mapper):
    """Remove URLs: `scheme:...`, `www...` and `host.tld/...` links (or replace them with
    `repl`).

    The built-in pattern is Data-Juicer's (case-insensitive; `\\w` and `\\s` with Python's
    Unicode meaning). A link must start after a character that is not a letter, digit or
    underscore, as with Data-Juicer's word boundary; a link starting with `.` or `-` right
    after a letter is the one case where that boundary differs (Data-Juicer removes it)."""

    name = "clean_links_mapper"

    class Params(PatternParams):
        pass

    def map_text(self, text: pa.Array) -> pa.Array:
        if self.params.pattern is not None:
            return self.params.rewrite(text)
        import pyarrow.compute as pc

        from juicer.text import regex

        url = regex.to_re2(_URL)
        replacement = "\\1" + regex.to_re2_replacement(self.params.repl)
        return pc.replace_substring_regex(text, f"(?is){_NON_WORD_OR_START}{url}", replacement)
