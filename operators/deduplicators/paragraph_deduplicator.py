from __future__ import annotations

from juicer.core.operator import SegmentDeduplicator


class ParagraphDeduplicator(SegmentDeduplicator):
    """Remove paragraphs (text between blank lines, split on "\\n\\n") that repeat in more
    than `frequency_threshold` documents, keeping each in the first document that has it:
    licence blocks, disclaimers, boilerplate sign-offs. Same options as `line_deduplicator`;
    `min_line_length` applies to the whole paragraph."""

    name = "paragraph_deduplicator"
    separator = "\n\n"
