import pytest

import juicer
from tests.operators.helpers import check_null_is_quarantined


ROWS = [{"text": "hello world", "n": 1, "meta": {"score": 12, "lang": "en"}},
        {"text": "", "n": 2, "meta": {"score": 40, "lang": "de"}},
        {"text": "x", "n": 3, "meta": {"score": None, "lang": "fr"}}]


@pytest.mark.parametrize("condition, kept", [
    ("10 < meta.score <= 30", ["hello world"]),
    ("meta.lang in ['en', 'de'] and text != ''", ["hello world"]),
    ("meta.lang not in ('en',)", ["", "x"]),
    ("meta.score > 5 or n * 2 == 6", ["hello world", "", "x"]),
    ("not meta.score > 20", ["hello world", "x"]),
    ("meta.score != 12", [""]),
    ("-n < -1", ["", "x"]),
    ("", ["hello world", "", "x"]),
])
def test_hand_checked_conditions(condition, kept):
    op = juicer.operator("general_field_filter", filter_condition=condition)
    assert [r["text"] for r in op(ROWS)] == kept


def test_stats_of_earlier_steps_by_both_names():
    steps = [juicer.operator("text_length_filter", min_len=0),
             juicer.operator("general_field_filter",
                             filter_condition="__dj__stats__.text_len > 5")]
    assert [r["text"] for r in juicer.apply(ROWS, steps)] == ["hello world"]
    steps[1] = juicer.operator("general_field_filter",
                               filter_condition="__stats__.text_length_filter.text_len == 1")
    assert [r["text"] for r in juicer.apply(ROWS, steps)] == ["x"]


def test_matches_python_on_real_documents(sample_rows):
    op = juicer.operator("general_field_filter",
                         filter_condition="lang == 'en' and 0.5 <= lang_score < 0.95")
    assert [r["id"] for r in op(sample_rows)] == [
        r["id"] for r in sample_rows
        if r["lang"] == "en" and r["lang_score"] is not None and 0.5 <= r["lang_score"] < 0.95]


@pytest.mark.parametrize("condition", [
    "__import__('os').system('true')", "text.upper() == 'X'", "[x for x in text]",
    "meta['lang'] == 'en'", "lambda: 1", "n in [n]"])
def test_code_is_refused_when_the_recipe_loads(condition):
    with pytest.raises(ValueError, match="not allowed|constants only"):
        juicer.operator("general_field_filter", filter_condition=condition)


def test_unknown_field_is_named():
    result = juicer.apply([{"text": "a"}], juicer.operator("general_field_filter", filter_condition="nope > 1"),
                          detailed=True)
    assert result.counts["quarantined"] == 1
    assert "field 'nope'" in result.quarantined[0]["error"]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("general_field_filter"))


def test_data_juicer_meta_paths_read_the_real_field_where_the_data_has_it():
    # Data-Juicer's layout: the data itself holds __dj__meta__ (found by a new user)
    rows = [{"text": "a", "__dj__meta__": {"score": 3}}, {"text": "b", "__dj__meta__": {"score": 9}}]
    op = juicer.operator("general_field_filter", filter_condition="__dj__meta__.score > 5")
    assert [r["text"] for r in op(rows)] == ["b"]
    op = juicer.operator("general_field_filter", filter_condition="__dj__meta__.lang == 'en'")
    assert [r["text"] for r in op(ROWS)] == ["hello world"]  # Juicer's meta otherwise
