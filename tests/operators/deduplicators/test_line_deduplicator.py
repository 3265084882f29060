"""Line dedup across documents: repeated lines go, the first occurrence stays; exempt lines
are never touched."""
from __future__ import annotations

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
