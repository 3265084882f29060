from __future__ import annotations

from pydantic import Field

from juicer.core.operator import OpParams, SpanDeduplicator


class SubstringDeduplicator(SpanDeduplicator):
    """Remove exact repeated substrings of at least `length_threshold` bytes (UTF-8) that
    appeared earlier in the dataset: copied paragraphs, templates, license texts, scraped
    navigation, inside documents that are otherwise different (Lee et al., "Deduplicating
    Training Data Makes Language Models Better"). The first occurrence stays; spans are cut
    on character boundaries, so CJK and emoji stay whole. Documents are rewritten, never
    dropped. Repeats are found through content-defined anchors and checked byte by byte, so
    every removed span is an exact repeat; a repeat of exactly `length_threshold` bytes is
    missed with a probability of about 0.03%, longer ones far less."""

    name = "substring_deduplicator"

    class Params(OpParams):
        length_threshold: int = Field(
            200, ge=16, description="Shortest repeated span removed, in bytes.")
