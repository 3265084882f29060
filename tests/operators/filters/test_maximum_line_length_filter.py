import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def test_hand_checked_maxima():
    stats, _ = stats_and_keep(juicer.operator("maximum_line_length_filter"),
                              ["", "abcd", "ab\ncdef", "abc\r\nd\n", "日本語\x85x", "\n\n"])
    assert stats["max_line_length"] == [0, 4, 4, 3, 3, 0]


def test_default_needs_a_ten_character_line():
    _, keep = stats_and_keep(juicer.operator("maximum_line_length_filter"),
                             ["123456789\nabc", "1234567890\nabc"])
    assert keep == [False, True]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(
        juicer.operator("maximum_line_length_filter", min_len=20, max_len=3000), texts)
    expected = [reference(t) for t in texts]
    assert stats["max_line_length"] == expected
    assert keep == [20 <= r <= 3000 for r in expected]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("maximum_line_length_filter", min_len=0))
