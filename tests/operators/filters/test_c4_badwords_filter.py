import juicer
from juicer.text import wordlists
from tests.operators.helpers import assert_same_decisions, check_null_is_quarantined, stats_and_keep


def test_hand_checked_results():
    word = sorted(w for w in wordlists.load("flagged_words", "en") if w.isalpha())[0]
    texts = [f"a {word.upper()}!", f"x{word}y inside another word", "all clean", f"{word}"]
    stats, keep = stats_and_keep(juicer.operator("c4_badwords_filter"), texts)
    assert stats["badwords_found"] == [True, False, False, True]


def test_language_from_a_field_and_missing_lists():
    rows = [{"text": "性 is allowed", "lang": "zh"}, {"text": "anything", "lang": "xx"}]
    op = juicer.operator("c4_badwords_filter", lang_key="lang", fail_on_missing_language=False)
    assert len(op(rows)) == 2
    strict = juicer.apply(rows, juicer.operator("c4_badwords_filter", lang_key="lang"), detailed=True)
    assert strict.counts["quarantined"] == 1 and "'xx'" in strict.quarantined[0]["error"]


def test_keep_fraction_is_deterministic():
    word = sorted(w for w in wordlists.load("flagged_words", "en") if w.isalpha())[0]
    rows = [{"text": f"{word} {i}"} for i in range(400)]
    op = juicer.operator("c4_badwords_filter", keep_fraction=0.25, seed=3)
    first, again = op(rows), juicer.operator("c4_badwords_filter", keep_fraction=0.25, seed=3)(rows)
    assert first == again and 60 < len(first) < 140


def test_keeps_exactly_what_datatrove_keeps(sample_rows):
    assert_same_decisions(juicer.operator("c4_badwords_filter", lang_key="lang",
                                          fail_on_missing_language=False),
                          [r for r in sample_rows if r["text"]], "c4_badwords", "")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("c4_badwords_filter"))
