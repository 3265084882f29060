import pytest

import juicer
from tests.operators.helpers import assert_same_decisions, check_null_is_quarantined, stats_and_keep


def test_hand_checked_stats():
    line = "A first line that ends well, long enough."  # 41 characters
    text = f"{line}\nshort\n\n{line}\nno stop"
    stats, keep = stats_and_keep(juicer.operator("fineweb_quality_filter"), [text])
    assert stats["fineweb_lines"] == [4]
    assert stats["line_punct_ratio"] == [pytest.approx(0.5)]
    assert stats["short_line_ratio"] == [pytest.approx(0.5)]
    assert stats["char_dup_ratio"] == [pytest.approx(41 / (len(text) - 4))]
    assert keep == [False]


def test_blank_document_is_empty():
    result = juicer.apply([{"text": " \n\n"}], juicer.operator("fineweb_quality_filter"), detailed=True)
    assert result.dropped[0]["__drop_reason__"] == "fineweb_quality_filter:empty"


def test_keeps_exactly_what_datatrove_keeps(sample_rows):
    assert_same_decisions(juicer.operator("fineweb_quality_filter"),
                          [r for r in sample_rows if r["text"]], "fineweb_quality", "")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("fineweb_quality_filter"))
