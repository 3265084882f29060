import pytest

import juicer
from juicer.text.kernels import special_characters
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str) -> float:
    special = special_characters()
    return sum(c in special for c in text) / len(text) if text else 0.0


def test_hand_checked_ratios():
    stats, _ = stats_and_keep(juicer.operator("special_characters_filter"),
                              ["", "abcd", "ab, d", "1234", "a 😀", "«»", "日本"])
    assert stats["special_char_ratio"] == pytest.approx([0.0, 0.0, 0.4, 1.0, 2 / 3, 1.0, 0.0])


def test_default_drops_above_a_quarter():
    _, keep = stats_and_keep(juicer.operator("special_characters_filter"),
                             ["abc!", "ab!!", "abcdefg"])
    assert keep == [True, False, True]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("special_characters_filter"), texts)
    expected = [reference(t) for t in texts]
    assert stats["special_char_ratio"] == pytest.approx(expected, abs=1e-12)
    assert keep == [0.0 <= r <= 0.25 for r in expected]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("special_characters_filter", max_ratio=1.0))
