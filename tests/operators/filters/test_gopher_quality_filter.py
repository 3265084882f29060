import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_same_decisions, check_null_is_quarantined, stats_and_keep


def test_hand_checked_stats():
    text = "The cat sat on the mat and that was that.\n- a bullet line ...\n# heading"
    stats, _ = stats_and_keep(juicer.operator("gopher_quality_filter"), [text])
    # spaCy tokens: The cat sat on the mat and that was that . - a bullet line ... # heading
    assert stats["gopher_words"] == [18]
    assert stats["gopher_non_symbol_words"] == [14]  # ".", "-", "...", "#" are symbol words
    assert stats["gopher_stop_words"] == [3]  # the, and, that (case-sensitive: not "The")
    assert stats["gopher_hash_ratio"] == [pytest.approx(1 / 18)]
    assert stats["gopher_bullet_lines_ratio"] == [pytest.approx(1 / 3)]
    assert stats["gopher_end_ellipsis_lines_ratio"] == [pytest.approx(1 / 3)]


def test_short_document_is_dropped_first():
    result = juicer.apply([{"text": "Too short."}], juicer.operator("gopher_quality_filter"),
                          detailed=True)
    assert result.dropped[0]["__drop_reason__"] == "gopher_quality_filter:gopher_short_doc"


def test_keeps_exactly_what_datatrove_keeps(sample_rows):
    assert_same_decisions(juicer.operator("gopher_quality_filter"),
                          [r for r in sample_rows if r["text"]], "gopher_quality", "")


def test_rules_turn_off_with_null():
    op = juicer.operator("gopher_quality_filter", min_doc_words=None, min_stop_words=0,
                         max_non_alpha_words_ratio=None)
    assert [r.name for r in op.rules()][0] == "gopher_long_doc"
    _, keep = stats_and_keep(op, EDGE_TEXTS)
    assert len(keep) == len(EDGE_TEXTS)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("gopher_quality_filter", min_doc_words=0,
                                              min_stop_words=0, max_non_alpha_words_ratio=0))


def test_tokens_carried_to_the_next_step_match_fresh_ones(sample_rows):
    """The second spaCy step reuses the first step's tokens of the documents it kept."""
    rows = [r for r in sample_rows if r["text"]][:600]
    together = juicer.apply(rows, [juicer.operator("gopher_repetition_filter"),
                                   juicer.operator("gopher_quality_filter")])
    apart = juicer.apply(juicer.apply(rows, juicer.operator("gopher_repetition_filter")),
                         juicer.operator("gopher_quality_filter"))
    assert [r["id"] for r in together] == [r["id"] for r in apart] and together


def test_chinese_is_tokenized_into_words_with_jieba_as_in_datatrove():
    stats, _ = stats_and_keep(juicer.operator("gopher_quality_filter", language="zh"),
                              ["我们是学生。"])
    assert stats["gopher_words"] == [4]  # 我们 / 是 / 学生 / 。


def test_thai_is_tokenized_into_words():
    stats, _ = stats_and_keep(juicer.operator("gopher_quality_filter", language="th"),
                              ["สวัสดีครับ ผมชื่อสมชาย"])
    assert stats["gopher_words"] == [6]  # สวัสดี ครับ ผม ชื่อ สม ชาย (pythainlp via spaCy)


def test_japanese_is_tokenized_into_words_with_sudachi():
    stats, _ = stats_and_keep(juicer.operator("gopher_quality_filter", language="ja"),
                              ["今日は良い天気。"])
    assert stats["gopher_words"] == [5]  # 今日 / は / 良い / 天気 / 。
