import pytest

import juicer
from tests.operators.helpers import assert_same_decisions, check_null_is_quarantined, stats_and_keep


def test_hand_checked_stats():
    text = "a b c\na b c\n\nx y\n\nx y"
    stats, _ = stats_and_keep(juicer.operator("gopher_repetition_filter"), [text])
    # paragraphs: "a b c\na b c", "x y", "x y" -> 1 of 3 repeats, 3 of 21 characters
    assert stats["dup_para_frac"] == [pytest.approx(1 / 3)]
    assert stats["dup_para_char_frac"] == [pytest.approx(3 / 21)]
    # lines: "a b c", "a b c", "x y", "x y" -> 2 of 4 repeat, 5 + 3 characters
    assert stats["dup_line_frac"] == [pytest.approx(0.5)]
    assert stats["dup_line_char_frac"] == [pytest.approx(8 / 21)]
    # bigrams: "a b" x2, "b c" x2, "c a", "c x", "x y" x2, "y x" -> first of the most
    # frequent is "a b": 3 characters x 2
    assert stats["top_2_gram"] == [pytest.approx(6 / 21)]


def test_repeated_ngrams_skip_past_each_repeat():
    text = " ".join(["w1 w2 w3 w4 w5"] * 3)
    stats, _ = stats_and_keep(juicer.operator("gopher_repetition_filter"), [text])
    # 5-grams: positions 0..10; position 5 repeats position 0 (10 chars), jump to 10: repeat
    assert stats["duplicated_5_n_grams"] == [pytest.approx(20 / len(text))]


def test_empty_document_is_dropped():
    result = juicer.apply([{"text": ""}], juicer.operator("gopher_repetition_filter"), detailed=True)
    assert result.dropped[0]["__drop_reason__"] == "gopher_repetition_filter:empty"


def test_keeps_exactly_what_datatrove_keeps(sample_rows):
    assert_same_decisions(juicer.operator("gopher_repetition_filter"),
                          [r for r in sample_rows if r["text"]], "gopher_repetition", "")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("gopher_repetition_filter"))


def test_repeated_ngrams_are_keyed_by_their_joined_tokens_as_in_datatrove():
    # datatrove 0.10's find_all_duplicate compares "".join(tokens): "ab c d e f" repeats
    # "a bc d e f"; token by token it does not (one real document's reason differed)
    text = "ab c d e f g h ab c d e f g h a bc d e f g h x y z"
    off = dict(top_n_grams=[], dup_line_frac=None, dup_para_frac=None,
               dup_line_char_frac=None, dup_para_char_frac=None)

    def share(keys):
        op = juicer.operator("gopher_repetition_filter", dup_ngram_keys=keys, **off)
        result = juicer.apply([{"text": text}], op, detailed=True, keep_stats=True)
        [row] = result.kept + result.dropped
        [stats] = row["__stats__"].values()
        return stats["duplicated_5_n_grams"]

    assert share("joined") == 12 / len(text)  # what datatrove 0.10.1 computes on it
    assert share("tokens") == 11 / len(text)
