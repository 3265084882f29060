import math
from collections import Counter

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def reference(text: str, n: int) -> float:
    counts = sorted(Counter(text[i:i + n] for i in range(len(text) - n + 1)).values(),
                    reverse=True)
    if not counts:
        return 0.0
    k = min(math.isqrt(len(counts)), sum(c > 1 for c in counts))
    return sum(counts[:k]) / sum(counts)


def test_hand_checked_ratios():
    op = juicer.operator("character_repetition_filter", rep_len=2)
    stats, keep = stats_and_keep(op, ["", "a", "abab", "abcde", "aaaa", "ab😀ab😀"])
    # "abab": ab x2, ba x1 -> 2 distinct, k = min(1, 1) = 1 -> 2/3
    # "ab😀ab😀": ab x2, b😀 x2, 😀a x1 -> k = min(1, 2) = 1 -> 2/5 (emoji is one character)
    assert stats["char_rep_ratio"] == pytest.approx([0, 0, 2 / 3, 0, 1.0, 2 / 5])
    assert keep == [True, True, False, True, False, True]


@pytest.mark.parametrize("n", [1, 2, 10])
def test_matches_reference_on_real_documents(sample_texts, n):
    texts = EDGE_TEXTS + sample_texts
    stats, keep = stats_and_keep(juicer.operator("character_repetition_filter", rep_len=n),
                                 texts)
    expected = [reference(t, n) for t in texts]
    assert stats["char_rep_ratio"] == pytest.approx(expected, abs=1e-12)
    assert keep == [r <= 0.5 for r in expected]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("character_repetition_filter"))


def test_chunking_the_batch_does_not_change_ratios(sample_texts):
    import pyarrow as pa

    from juicer.text import words

    text = pa.array(EDGE_TEXTS + sample_texts[:300])
    whole = words.char_repetition(text, 10, chunk_chars=1 << 30)
    assert list(words.char_repetition(text, 10, chunk_chars=5000)) == list(whole)
    assert list(words.char_repetition(text, 10, chunk_chars=1)) == list(whole)
