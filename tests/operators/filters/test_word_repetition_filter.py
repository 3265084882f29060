from collections import Counter

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, refined_words, stats_and_keep


def reference(text: str, n: int) -> float:
    words = refined_words(text)
    grams = Counter(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    return sum(c for c in grams.values() if c > 1) / total if total else 0.0


def test_hand_checked_ratios():
    op = juicer.operator("word_repetition_filter", rep_len=2)
    stats, keep = stats_and_keep(op, [
        "", "one", "a b a b", "A b, a B!", "a b c d", "x y x y x y", "日本 日本 日本"])
    # "a b a b": bigrams ab, ba, ab -> ab repeats: 2 of 3; case and punctuation are ignored
    assert stats["word_rep_ratio"] == pytest.approx([0, 0, 2 / 3, 2 / 3, 0, 1.0, 1.0])
    assert keep == [True, True, False, False, True, False, False]


@pytest.mark.parametrize("n", [1, 3, 10])
def test_matches_reference_on_real_documents(sample_texts, n):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("word_repetition_filter", rep_len=n), texts)
    expected = [reference(t, n) for t in texts]
    assert stats["word_rep_ratio"] == pytest.approx(expected, abs=1e-12)
    assert keep == [r <= 0.5 for r in expected]


def test_documents_in_one_batch_do_not_share_ngrams():
    stats, _ = stats_and_keep(juicer.operator("word_repetition_filter", rep_len=1),
                              ["alpha beta", "alpha beta", "gamma"])
    assert stats["word_rep_ratio"] == [0.0, 0.0, 0.0]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("word_repetition_filter"))


def test_tokenization_counts_repeated_japanese_word_ngrams():
    text = "今日は良い天気です。今日は良い天気です。"
    spaced, _ = stats_and_keep(juicer.operator("word_repetition_filter", lang="ja", rep_len=2), [text])
    segmented, _ = stats_and_keep(juicer.operator("word_repetition_filter", lang="ja", rep_len=2,
                                                  tokenization=True), [text])
    assert spaced["word_rep_ratio"] == [0.0]  # one whitespace word, no bigram
    assert segmented["word_rep_ratio"][0] > 0.5  # the sentence repeats word for word
