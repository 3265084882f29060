import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def test_counts_code_points_not_bytes():
    stats, _ = stats_and_keep(juicer.operator("text_length_filter"),
                              ["", "abc", "Große", "日本語", "😀👍🏽", "a\r\nb"])
    assert stats["text_len"] == [0, 3, 5, 3, 3, 4]


def test_closed_range_keeps_both_bounds():
    op = juicer.operator("text_length_filter", min_len=3, max_len=5)
    _, keep = stats_and_keep(op, ["ab", "abc", "abcde", "abcdef"])
    assert keep == [False, True, True, False]


def test_open_range_excludes_bounds_and_names_the_rule():
    op = juicer.operator("text_length_filter", min_len=3, max_len=5,
                         min_closed_interval=False, max_closed_interval=False)
    _, keep = stats_and_keep(op, ["abc", "abcd", "abcde"])
    assert keep == [False, True, False]
    result = juicer.apply([{"text": "abc"}, {"text": "abcdef"}], op, detailed=True)
    assert [r["__drop_reason__"] for r in result.dropped] == [
        "text_length_filter:min_len", "text_length_filter:max_len"]


def test_reversed_range_keeps_the_outside():
    # Data-Juicer flips the closedness when reversing, so with the default closed bounds
    # the bounds themselves are kept: keep len <= 3 or len >= 5 (its code, not its docstring)
    op = juicer.operator("text_length_filter", min_len=3, max_len=5, reversed_range=True)
    _, keep = stats_and_keep(op, ["ab", "abc", "abcd", "abcde", "abcdef"])
    assert keep == [True, True, False, True, True]
    open_op = juicer.operator("text_length_filter", min_len=3, max_len=5, reversed_range=True,
                              min_closed_interval=False, max_closed_interval=False)
    _, keep = stats_and_keep(open_op, ["ab", "abc", "abcd", "abcde", "abcdef"])
    assert keep == [True, False, False, False, True]


def test_matches_len_on_real_documents(sample_texts):
    stats, keep = stats_and_keep(juicer.operator("text_length_filter", min_len=500),
                                 EDGE_TEXTS + sample_texts)
    assert stats["text_len"] == [len(t) for t in EDGE_TEXTS + sample_texts]
    assert keep == [len(t) >= 500 for t in EDGE_TEXTS + sample_texts]


def test_min_above_max_is_refused():
    with pytest.raises(ValueError, match="min_len .* is greater than max_len"):
        juicer.operator("text_length_filter", min_len=10, max_len=5)


def test_null_and_non_string_text_are_quarantined():
    check_null_is_quarantined(juicer.operator("text_length_filter", min_len=0))
