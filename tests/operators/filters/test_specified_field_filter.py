import juicer
from tests.operators.helpers import check_null_is_quarantined


def test_hand_checked_results():
    rows = [{"text": "a", "meta": {"lang": "en", "tags": ["x"]}},
            {"text": "b", "meta": {"lang": "de", "tags": ["x", "y"]}},
            {"text": "c", "meta": {"lang": None, "tags": []}}]
    keep = juicer.operator("specified_field_filter", field_key="meta.lang", target_value=["en", "de"])
    assert [r["text"] for r in keep(rows)] == ["a", "b"]
    tags = juicer.operator("specified_field_filter", field_key="meta.tags", target_value=["x"])
    assert [r["text"] for r in tags(rows)] == ["a", "c"]  # every element must be a target
    reverse = juicer.operator("specified_field_filter", field_key="meta.lang", target_value=["en"],
                              reversed_range=True)
    assert [r["text"] for r in reverse(rows)] == ["b", "c"]
    assert len(juicer.operator("specified_field_filter")(rows)) == 3


def test_matches_reference_on_real_documents(sample_rows):
    op = juicer.operator("specified_field_filter", field_key="lang", target_value=["de", "fr", "ja"])
    result = juicer.apply(sample_rows, op, detailed=True)
    assert [r["id"] for r in result.kept] == [
        r["id"] for r in sample_rows if r["lang"] in ("de", "fr", "ja")]
    assert {r["__drop_reason__"] for r in result.dropped} == {"specified_field_filter:target_value"}


def test_mixed_types_compare_as_python_does():
    rows = [{"text": "a", "v": 1}, {"text": "b", "v": 2}]
    op = juicer.operator("specified_field_filter", field_key="v", target_value=[1.0, "x"])
    assert [r["text"] for r in op(rows)] == ["a"]


def test_missing_field_is_named():
    result = juicer.apply([{"text": "a"}], juicer.operator("specified_field_filter", field_key="nope", target_value=[1]),
                          detailed=True)
    assert result.counts["quarantined"] == 1
    assert "field 'nope'" in result.quarantined[0]["error"]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("specified_field_filter"))
