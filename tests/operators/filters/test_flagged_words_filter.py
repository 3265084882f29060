import pytest

import juicer
from juicer.text import wordlists
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, refined_words, stats_and_keep


def test_hand_checked_ratios():
    flagged = sorted(w for w in wordlists.load("flagged_words", "en") if w.isalpha())[0]
    texts = ["", "a perfectly clean sentence", f"{flagged.upper()}! and three more words",
             f"{flagged} {flagged}"]
    stats, keep = stats_and_keep(juicer.operator("flagged_words_filter"), texts)
    assert stats["flagged_words_ratio"] == pytest.approx([0.0, 0.0, 0.2, 1.0])
    assert keep == [True, True, False, False]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ru", "zh", "ja", "all"])
def test_matches_reference_on_real_documents(sample_texts, lang):
    texts = EDGE_TEXTS + sample_texts[:800]
    stats, _ = stats_and_keep(juicer.operator("flagged_words_filter", lang=lang), texts)
    vocabulary = wordlists.load("flagged_words", lang)
    expected = []
    for text in texts:
        words = refined_words(text)
        expected.append(sum(w in vocabulary for w in words) / len(words) if words else 0.0)
    assert stats["flagged_words_ratio"] == pytest.approx(expected, abs=1e-12)


def test_shipped_lists_cover_the_required_languages():
    for lang in ("en", "zh", "es", "fr", "de", "ru", "ja"):
        assert len(wordlists.load("flagged_words", lang)) > 20
        assert len(wordlists.load("stopwords", lang)) > 20


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("flagged_words_filter"))
