import hashlib

import juicer
from tests.operators.helpers import (assert_same_decisions, check_null_is_quarantined,
                                     datatrove_decisions, stats_and_keep)

GOOD = "This line is a fine sentence. It has two sentences."


def test_hand_checked_cleaning():
    text = "\n".join([GOOD, "no terminal punctuation", "Too few.", "Enable JavaScript to see this.",
                      "We use cookies on this site, okay.", "A citation here.[1]",
                      GOOD, "One more good line here.", "And a last good line here!"])
    result = juicer.apply([{"text": text}], juicer.operator("c4_quality_filter"), detailed=True)
    assert result.kept[0]["text"] == "\n".join([GOOD, "A citation here.", GOOD,
                                                "One more good line here.",
                                                "And a last good line here!"])
    stats, _ = stats_and_keep(juicer.operator("c4_quality_filter"), [text])
    # five kept lines reach the minimum of five sentences: they are not counted
    assert stats["c4_sentences"] == [None] and stats["c4_lines"] == [9] and stats["c4_kept_lines"] == [5]
    counted, _ = stats_and_keep(juicer.operator("c4_quality_filter", min_num_sentences=8), [text])
    assert counted["c4_sentences"] == [7]


def test_document_rules_and_their_order():
    op = juicer.operator("c4_quality_filter", min_num_sentences=-1)
    rows = [{"text": "Some curly { bracket here.\nLorem ipsum dolor sit amet."},
            {"text": "lorem ipsum"},  # too few words: the line never reaches the rule
            {"text": "Javascript with { is removed first."}]
    result = juicer.apply(rows, op, detailed=True)
    assert [r["__drop_reason__"] for r in result.dropped] == ["c4_quality_filter:curly_bracket"]
    assert [r["text"] for r in result.kept] == ["", ""]


def test_keeps_and_cleans_exactly_as_datatrove(sample_rows):
    rows = [r for r in sample_rows if r["text"]]
    assert_same_decisions(juicer.operator("c4_quality_filter"), rows, "c4_quality", "")
    expected = datatrove_decisions()
    kept = juicer.operator("c4_quality_filter")(rows)
    differ = [r["id"] for r in kept
              if hashlib.sha1(r["text"].encode()).hexdigest() != expected[r["id"]]["c4_quality_text_sha1"]]
    assert not differ and kept


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("c4_quality_filter", min_num_sentences=-1))
