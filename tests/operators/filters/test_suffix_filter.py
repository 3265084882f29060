import juicer
from tests.operators.helpers import check_null_is_quarantined


def test_hand_checked_results():
    rows = [{"text": "a", "__dj__suffix__": ".txt"}, {"text": "b", "__dj__suffix__": ".pdf"},
            {"text": "c", "__dj__suffix__": "md"}, {"text": "d", "__dj__suffix__": None}]
    op = juicer.operator("suffix_filter", suffixes=["txt", ".MD"])
    assert [r["text"] for r in op(rows)] == ["a", "c"]
    assert [r["text"] for r in juicer.operator("suffix_filter", suffixes=".pdf",
                                               reversed_range=True)(rows)] == ["a", "c", "d"]
    assert len(juicer.operator("suffix_filter")(rows)) == 4


def test_suffix_from_a_path_field():
    rows = [{"text": "a", "meta": {"path": "s3://b/dir.v2/file.JSONL"}},
            {"text": "b", "meta": {"path": "/data/readme"}}]
    op = juicer.operator("suffix_filter", suffixes=["jsonl"], suffix_key="meta.path")
    assert [r["text"] for r in op(rows)] == ["a"]


def test_real_urls_by_suffix(sample_rows):
    op = juicer.operator("suffix_filter", suffixes=[".html", ".htm"], suffix_key="url")
    kept = {r["id"] for r in op(sample_rows)}
    expected = {r["id"] for r in sample_rows
                if isinstance(r["url"], str) and r["url"].lower().rsplit("/", 1)[-1].endswith((".html", ".htm"))
                and "." in r["url"].rsplit("/", 1)[-1]}
    assert kept == expected and kept


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("suffix_filter"))
