from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.operator import Mapper, OpParams


class CleanHtmlMapper(Mapper):
    """Turn HTML into its text: tags removed, entities decoded, list items (`<li>`, `<ol>`)
    started on a new line with `*`. Parsed with lexbor (the `selectolax` package), as
    Data-Juicer does, so the text is the same. For main-content extraction from whole web
    pages (dropping navigation and boilerplate), use `html_to_text_mapper`."""

    name = "clean_html_mapper"
    Params = OpParams
    requires_packages = {"selectolax": "html"}

    def map_text(self, text: pa.Array) -> pa.Array:
        from selectolax.lexbor import LexborHTMLParser

        for tag, replacement in (("<li>", "\n*"), ("</li>", ""), ("<ol>", "\n*"), ("</ol>", "")):
            text = pc.replace_substring(text, tag, replacement)
        return pa.array([LexborHTMLParser(value).text() for value in text.to_pylist()],
                        pa.string())
