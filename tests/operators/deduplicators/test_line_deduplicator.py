"""Line and paragraph dedup: repeated segments go, the first occurrence stays (or, as
Data-Juicer does, every occurrence goes); exempt segments are never touched."""
from __future__ import annotations

import hashlib
import re
from collections import Counter

import pytest

import juicer

FOOTER = "Subscribe to our newsletter for weekly updates"


def docs(count: int, *extra: str) -> list[dict]:
    return [{"text": "\n".join([f"Unique story number {i} about topic {i * 7}.", *extra])}
            for i in range(count)]


def test_lines_in_more_than_threshold_documents_are_removed_after_the_first():
    rows = docs(8, FOOTER) + docs(3, "A line in only a few documents")
    result = juicer.apply(rows, "line_deduplicator", detailed=True)
    texts = [r["text"] for r in result.kept]
    assert texts[0].endswith(FOOTER)
    assert not any(FOOTER in t for t in texts[1:8])
    assert all(t.endswith("A line in only a few documents") for t in texts[8:])
    step = result.steps[0]
    assert step["changed_docs"] == 7 and step["segments"]["removed_segments"] == 7
    assert step["segments"]["most_repeated"] == [{"documents": 8, "text": FOOTER}]
    assert step["docs_out"] == len(rows)  # rewritten, never dropped


def test_at_the_threshold_nothing_is_removed():
    rows = docs(6, FOOTER)
    assert [r["text"] for r in juicer.apply(rows, "line_deduplicator")] == \
        [r["text"] for r in rows]


def test_data_juicer_variant_removes_every_occurrence():
    kept = juicer.apply(docs(8, FOOTER), "document_line_deduplicator")
    assert not any(FOOTER in r["text"] for r in kept)


@pytest.mark.parametrize("exempt", ["# Chapter", "}", "</div>", "\\begin{table}", "x"])
def test_exempt_lines_are_never_removed(exempt):
    kept = juicer.apply(docs(10, exempt), "line_deduplicator")
    assert all(r["text"].endswith(exempt) for r in kept)


def test_normalization_options():
    rows = [{"text": f"story {i}\n{'READ MORE' if i % 2 else 'read more!!'} {i % 3}"}
            for i in range(12)]
    plain = juicer.apply(rows, "line_deduplicator")
    assert sum("read more" in r["text"].lower() for r in plain) == 12
    loose = juicer.apply(rows, juicer.operator("line_deduplicator", lowercase=True,
                                               ignore_special_character=True))
    assert sum("read more" in r["text"].lower() for r in loose) == 1


def test_paragraphs():
    notice = "This article is licensed under CC BY-SA.\nReuse it freely."
    rows = [{"text": f"Body of article {i}.\n\n{notice}"} for i in range(9)]
    kept = juicer.apply(rows, "paragraph_deduplicator")
    assert [r["text"] for r in kept][1:] == [f"Body of article {i}." for i in range(1, 9)]
    # line dedup removes the notice's lines and leaves the blank line between
    assert [r["text"] for r in juicer.apply(rows, "line_deduplicator")][1] == \
        "Body of article 1.\n"


def reference_document_line_dedup(texts: list[str], threshold: int = 6) -> list[str]:
    """Data-Juicer's document_line_deduplicator with its defaults, written plainly."""
    def skip(line: str) -> bool:
        s = line.strip()
        return (len(s) < 2 or all(c in "{}[]();" for c in s) or s.startswith("#")
                or re.match(r"^\s*\\(begin|end)\{", s) is not None
                or re.match(r"^\s*</?[a-z][a-z0-9]*[^>]*>?\s*$", s, re.I) is not None)

    def key(line: str) -> str:
        return hashlib.md5(line.strip().encode()).hexdigest()
    frequency = Counter(h for t in texts for h in {key(x) for x in t.split("\n") if not skip(x)})
    return ["\n".join(x for x in t.split("\n") if skip(x) or frequency[key(x)] <= threshold)
            for t in texts]


def test_matches_data_juicer_semantics_on_real_documents(sample_rows):
    texts = [r["text"] for r in sample_rows]
    kept = juicer.apply([{"text": t} for t in texts], "document_line_deduplicator")
    expected = reference_document_line_dedup(texts)
    assert [r["text"] for r in kept] == expected
    assert sum(a != b for a, b in zip(texts, expected)) > 50  # the sample has boilerplate
