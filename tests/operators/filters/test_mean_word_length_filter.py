import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators import nemo_reference as ref
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def test_hand_checked_scores():
    texts, expected = ["", "ab abcd"], [None, 3.0]
    stats, _ = stats_and_keep(juicer.operator("mean_word_length_filter"), texts)
    assert stats["mean_word_length"] == [None if e is None else pytest.approx(e) for e in expected]


def test_matches_nemo_definition_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("mean_word_length_filter"), texts)
    expected = [ref.mean_word_length(t) for t in texts]
    assert stats["mean_word_length"] == [None if e is None else pytest.approx(e, abs=1e-12) for e in expected]
    assert any(keep)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("mean_word_length_filter"))


def test_chinese_words_come_from_jieba_as_in_nemo(sample_rows):
    texts = [r["text"] for r in sample_rows if r["lang"] == "zh"] + ["我们是学生。今天天气很好！"]
    stats, _ = stats_and_keep(juicer.operator("mean_word_length_filter", lang="zh"), texts)
    assert stats["mean_word_length"] == [pytest.approx(ref.mean_word_length(t, "zh")) for t in texts]
    assert stats["mean_word_length"][-1] != stats_and_keep(juicer.operator("mean_word_length_filter"), texts[-1:])[0]["mean_word_length"][0]


def test_japanese_words_come_from_mecab_as_in_nemo(sample_rows):
    texts = [r["text"] for r in sample_rows if r["lang"] == "ja"] + ["日本語のテキストです。"]
    stats, _ = stats_and_keep(juicer.operator("mean_word_length_filter", lang="ja"), texts)
    assert stats["mean_word_length"] == [pytest.approx(ref.mean_word_length(t, "ja")) for t in texts]
