"""Paragraph dedup across documents: repeated paragraphs go, the first occurrence stays."""
import juicer


def test_paragraphs():
    notice = "This article is licensed under CC BY-SA.\nReuse it freely."
    rows = [{"text": f"Body of article {i}.\n\n{notice}"} for i in range(9)]
    kept = juicer.apply(rows, "paragraph_deduplicator")
    assert [r["text"] for r in kept][1:] == [f"Body of article {i}." for i in range(1, 9)]
    # line dedup removes the notice's lines and leaves the blank line between
    assert [r["text"] for r in juicer.apply(rows, "line_deduplicator")][1] == \
        "Body of article 1.\n"
