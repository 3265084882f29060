from __future__ import annotations

from juicer.core.operator import SegmentDeduplicator


class LineDeduplicator(SegmentDeduplicator):
    """Remove lines that repeat in more than `frequency_threshold` documents (navigation,
    cookie banners, footers), keeping each in the first document that has it. Lines are
    compared stripped, optionally lowercased and without special characters; short lines,
    bracket-only lines, Markdown headers, LaTeX environments and lone HTML tags are never
    removed."""

    name = "line_deduplicator"
    separator = "\n"
