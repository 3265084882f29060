import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str) -> float:
    """Data-Juicer: alphanumeric characters / characters, 0.0 for empty text."""
    return sum(c.isalnum() for c in text) / len(text) if text else 0.0


def test_hand_checked_ratios():
    stats, _ = stats_and_keep(juicer.operator("alphanumeric_filter"),
                              ["", "abc", "a b", "ß!", "日本。", "٣٤ %", "😀"])
    assert stats["alnum_ratio"] == pytest.approx([0.0, 1.0, 2 / 3, 0.5, 2 / 3, 0.5, 0.0])


def test_default_keeps_a_quarter_or_more():
    _, keep = stats_and_keep(juicer.operator("alphanumeric_filter"), ["a!!!", "a!!!!", "!!!"])
    assert keep == [True, False, False]


def test_matches_str_isalnum_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("alphanumeric_filter", min_ratio=0.7), texts)
    assert stats["alnum_ratio"] == pytest.approx([reference(t) for t in texts], abs=1e-12)
    assert keep == [reference(t) >= 0.7 for t in texts]


def test_tokenization_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="tokenization"):
        juicer.operator("alphanumeric_filter", tokenization=True)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("alphanumeric_filter", min_ratio=0))
