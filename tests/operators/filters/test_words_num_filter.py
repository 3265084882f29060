import re


import juicer
from juicer.text.kernels import special_characters
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str) -> int:
    """Data-Juicer: split on space, newline and tab; strip special characters from both ends
    of each piece; count the non-empty pieces."""
    strip = "".join(special_characters())
    return sum(1 for piece in re.split("[ \n\t]", text) if piece.strip(strip))


def test_hand_checked_counts():
    stats, _ = stats_and_keep(juicer.operator("words_num_filter"), [
        "", "   ", "one two  three", "Hello, world!", "-- 42 ...", "tab\tnew\nline",
        "日本語 テキスト", "a😀b", "(word)", "e\u0301te\u0301 café"])
    assert stats["num_words"] == [0, 0, 3, 2, 0, 3, 2, 1, 1, 2]


def test_default_needs_ten_words():
    _, keep = stats_and_keep(juicer.operator("words_num_filter"),
                             [" ".join(["w"] * 9), " ".join(["w"] * 10)])
    assert keep == [False, True]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("words_num_filter", min_num=50), texts)
    expected = [reference(t) for t in texts]
    assert stats["num_words"] == expected
    assert keep == [n >= 50 for n in expected]


def test_tokenization_splits_with_the_language_segmenter():
    texts = ["我们是学生。今天天气很好！", "The cat sat on the mat, didn't it?"]
    zh, _ = stats_and_keep(juicer.operator("words_num_filter", lang="zh", tokenization=True,
                                           min_num=0), texts[:1])
    assert zh["num_words"] == [6]  # 我们 是 学生 今天天气 很 好 (jieba), punctuation stripped
    assert stats_and_keep(juicer.operator("words_num_filter", min_num=0), texts[:1])[0]["num_words"] == [1]
    en, _ = stats_and_keep(juicer.operator("words_num_filter", tokenization=True, min_num=0), texts[1:])
    assert en["num_words"] == [9]  # spaCy: The cat sat on the mat did n't it (, and ? stripped)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("words_num_filter", min_num=0))
