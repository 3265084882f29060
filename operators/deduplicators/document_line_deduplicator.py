from __future__ import annotations

from pydantic import Field

from juicer.core.operator import SegmentParams
from juicer_operators.deduplicators.line_deduplicator import LineDeduplicator


class DocumentLineDeduplicator(LineDeduplicator):
    """Data-Juicer's `document_line_deduplicator`: like `line_deduplicator`, but a repeated
    line is removed from every document (`keep_first: false` by default)."""

    name = "document_line_deduplicator"

    class Params(SegmentParams):
        keep_first: bool = Field(
            False, description="Keep a repeated line in the first document that has it.")
