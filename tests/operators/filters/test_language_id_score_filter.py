import json
from collections import Counter

import pytest

import juicer
from tests.conftest import DATA, EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def labelled_sentences():
    return [json.loads(line) for line in (DATA / "lingua_sentences.jsonl").read_text("utf-8").splitlines()]


def test_identifies_real_sentences_in_twenty_languages():
    rows = labelled_sentences()
    stats, _ = stats_and_keep(juicer.operator("language_id_score_filter"), [r["text"] for r in rows])
    right = Counter(r["lang"] for r, found in zip(rows, stats["lang"]) if found == r["lang"])
    assert sum(right.values()) >= 0.9 * len(rows)
    assert all(right[lang] >= 15 for lang in {r["lang"] for r in rows})  # of 25 each
    assert all(0 < s <= 1 for s in stats["lang_score"])


def test_keeps_chosen_languages_above_the_score():
    rows = [{"text": "The committee approved the new budget after a long debate."},
            {"text": "Der Ausschuss hat den neuen Haushalt nach langer Debatte gebilligt."},
            {"text": "Le comité a approuvé le nouveau budget après un long débat."},
            {"text": "123 456"}]
    result = juicer.apply(rows, juicer.operator("language_id_score_filter", lang=["en", "de"],
                                                min_score=0.5), detailed=True)
    assert [r["text"][:3] for r in result.kept] == ["The", "Der"]
    reasons = [r["__drop_reason__"] for r in result.dropped]
    assert reasons[0] == "language_id_score_filter:lang"
    any_language = juicer.operator("language_id_score_filter", min_score=0.0)
    assert len(any_language(rows)) == 4


def test_own_model_path_and_a_missing_one(tmp_path):
    from juicer_operators.filters.language_id_score_filter import default_model_path

    op = juicer.operator("language_id_score_filter", model_path=default_model_path(), min_score=0)
    assert len(op([{"text": "hello world"}])) == 1
    missing = juicer.operator("language_id_score_filter", model_path=str(tmp_path / "none.bin"))
    with pytest.raises(juicer.JuicerError, match="no model file"):
        missing([{"text": "hello"}])


def test_edge_texts_get_a_language_and_a_score():
    stats, _ = stats_and_keep(juicer.operator("language_id_score_filter", min_score=0), EDGE_TEXTS)
    assert len(stats["lang"]) == len(EDGE_TEXTS) and all(stats["lang"])


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("language_id_score_filter", min_score=0))
