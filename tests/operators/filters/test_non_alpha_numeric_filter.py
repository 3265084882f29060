import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators import nemo_reference as ref
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def test_hand_checked_scores():
    texts, expected = ["", "abc", "a-b!", "日本"], [1.0, 0.0, 0.25, 1.0]
    stats, _ = stats_and_keep(juicer.operator("non_alpha_numeric_filter"), texts)
    assert stats["non_alpha_numeric_ratio"] == [None if e is None else pytest.approx(e) for e in expected]


def test_matches_nemo_definition_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("non_alpha_numeric_filter"), texts)
    expected = [ref.non_alpha_numeric(t) for t in texts]
    assert stats["non_alpha_numeric_ratio"] == [None if e is None else pytest.approx(e, abs=1e-12) for e in expected]
    assert any(keep)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("non_alpha_numeric_filter"))
