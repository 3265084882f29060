import pytest

import juicer
from juicer.text import kernels
from tests.conftest import EDGE_TEXTS
from tests.operators import nemo_reference as ref
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep

ALPHA = kernels.asset_chars("posix_alpha.txt")


def test_hand_checked_scores():
    texts, expected = ["", "a 12 b3", "日本 ١٢"], [None, 2 / 3, 0.5]
    stats, _ = stats_and_keep(juicer.operator("words_without_alphabets_filter"), texts)
    assert stats["words_with_alphabets_ratio"] == [None if e is None else pytest.approx(e) for e in expected]


def test_matches_nemo_definition_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("words_without_alphabets_filter"), texts)
    expected = [ref.words_with_alphabets(t, ALPHA) for t in texts]
    assert stats["words_with_alphabets_ratio"] == [None if e is None else pytest.approx(e, abs=1e-12) for e in expected]
    assert any(keep)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("words_without_alphabets_filter"))
