from __future__ import annotations

from pydantic import Field

from juicer.operator import SegmentDeduplicator, SegmentParams


class LineDeduplicator(SegmentDeduplicator):
    """Remove lines that repeat in more than `frequency_threshold` documents (navigation,
    cookie banners, footers), keeping each in the first document that has it. Lines are
    compared stripped, optionally lowercased and without special characters; short lines,
    bracket-only lines, Markdown headers, LaTeX environments and lone HTML tags are never
    removed."""

    name = "line_deduplicator"
    separator = "\n"


class DocumentLineDeduplicator(LineDeduplicator):
    """Data-Juicer's `document_line_deduplicator`: like `line_deduplicator`, but a repeated
    line is removed from every document (`keep_first: false` by default)."""

    name = "document_line_deduplicator"

    class Params(SegmentParams):
        keep_first: bool = Field(
            False, description="Keep a repeated line in the first document that has it.")
