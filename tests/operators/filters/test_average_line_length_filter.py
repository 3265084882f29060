import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str) -> float:
    lines = text.splitlines()
    return len(text) / len(lines) if lines else 0.0


def test_hand_checked_averages():
    stats, _ = stats_and_keep(juicer.operator("average_line_length_filter"),
                              ["", "abcd", "ab\ncd", "ab\r\ncd\n", "a\u2028b", "\n\n"])
    # len(text) / number of lines, line breaks included in the length (as Data-Juicer)
    assert stats["avg_line_length"] == pytest.approx([0.0, 4.0, 2.5, 3.5, 1.5, 1.0])


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("average_line_length_filter", min_len=40), texts)
    expected = [reference(t) for t in texts]
    assert stats["avg_line_length"] == pytest.approx(expected, abs=1e-12)
    assert keep == [r >= 40 for r in expected]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("average_line_length_filter", min_len=0))
