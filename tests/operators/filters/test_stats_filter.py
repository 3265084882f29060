import pytest

import juicer
from tests.operators.helpers import check_null_is_quarantined


ROWS = [{"text": "a" * n, "meta": {"q": q}} for n, q in [(3, 0.1), (10, 0.9), (30, None)]]


def test_stat_of_an_earlier_step_by_both_names():
    length = juicer.operator("text_length_filter", min_len=0)
    for stat in ("text_len", "text_length_filter.text_len"):
        kept = juicer.apply(ROWS, [length, juicer.operator("stats_filter", stat=stat, min_value=5,
                                                          max_value=20)])
        assert [len(r["text"]) for r in kept] == [10]


def test_field_and_missing_values():
    result = juicer.apply(ROWS, juicer.operator("stats_filter", stat="meta.q", min_value=0.5),
                          detailed=True)
    assert [len(r["text"]) for r in result.kept] == [10]
    assert [r["__drop_reason__"] for r in result.dropped] == ["stats_filter:min_value",
                                                              "stats_filter:missing"]
    keep = juicer.operator("stats_filter", stat="meta.q", min_value=0.5, missing="keep")
    assert [len(r["text"]) for r in keep(ROWS)] == [10, 30]


def test_ambiguous_or_unknown_stat_is_explained():
    steps = [juicer.operator("text_length_filter", min_len=0),
             juicer.operator("text_length_filter", min_len=0),
             juicer.operator("stats_filter", stat="text_len", min_value=1)]
    result = juicer.apply(ROWS, steps, detailed=True)
    assert "name it as <step_id>.text_len" in result.quarantined[0]["error"]


def test_real_documents_thresholded_on_a_recorded_stat(sample_rows):
    steps = [juicer.operator("words_num_filter", min_num=0),
             juicer.operator("stats_filter", stat="num_words", min_value=100, max_value=2000)]
    kept = {r["id"] for r in juicer.apply(sample_rows, steps)}
    expected = {r["id"] for r in juicer.apply(sample_rows, juicer.operator(
        "words_num_filter", min_num=100, max_num=2000))}
    assert kept == expected and 100 < len(kept) < len(sample_rows)


def test_stat_is_required():
    with pytest.raises(ValueError, match="stat"):
        juicer.operator("stats_filter")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("stats_filter", stat="text", missing="keep"))
