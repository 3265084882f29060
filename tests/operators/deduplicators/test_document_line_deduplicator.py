"""Data-Juicer's document_line_deduplicator: lines repeated in more than the threshold of
documents go from every document."""
import hashlib
import re
from collections import Counter

import juicer
from tests.operators.deduplicators.test_line_deduplicator import FOOTER, docs


def test_data_juicer_variant_removes_every_occurrence():
    kept = juicer.apply(docs(8, FOOTER), "document_line_deduplicator")
    assert not any(FOOTER in r["text"] for r in kept)


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
