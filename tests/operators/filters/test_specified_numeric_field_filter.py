import juicer
from tests.operators.helpers import check_null_is_quarantined


def test_hand_checked_results():
    rows = [{"text": t, "meta": {"score": s}} for t, s in
            [("a", "0.5"), ("b", "x"), ("c", None), ("d", "3"), ("e", "-1")]]
    op = juicer.operator("specified_numeric_field_filter", field_key="meta.score",
                         min_value=0, max_value=1)
    result = juicer.apply(rows, op, detailed=True)
    assert [r["text"] for r in result.kept] == ["a"]
    assert [r["__drop_reason__"].split(":")[1] for r in result.dropped] == [
        "numeric", "numeric", "max_value", "min_value"]


def test_matches_reference_on_real_documents(sample_rows):
    op = juicer.operator("specified_numeric_field_filter", field_key="lang_score",
                         min_value=0.5, max_value=0.9)
    assert [r["id"] for r in op(sample_rows)] == [
        r["id"] for r in sample_rows
        if r["lang_score"] is not None and 0.5 <= float(r["lang_score"]) <= 0.9]


def test_reversed_range_still_drops_non_numbers():
    rows = [{"text": "a", "v": 5.0}, {"text": "b", "v": None}, {"text": "c", "v": 0.5}]
    op = juicer.operator("specified_numeric_field_filter", field_key="v", min_value=0,
                         max_value=1, reversed_range=True)
    assert [r["text"] for r in op(rows)] == ["a"]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("specified_numeric_field_filter"))
