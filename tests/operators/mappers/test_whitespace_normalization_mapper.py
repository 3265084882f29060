import juicer
from juicer_operators.mappers.whitespace_normalization_mapper import VARIOUS_WHITESPACES
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def reference(text: str) -> str:
    """Data-Juicer: strip, then every 'various whitespace' character becomes a space."""
    text = text.strip()
    return "".join(" " if c in VARIOUS_WHITESPACES else c for c in text)


def test_hand_checked_results():
    op = juicer.operator("whitespace_normalization_mapper")
    assert kept_texts(op, [
        "  padded\n", "tab\there", "nbsp\u00a0and\u2009thin", "zero\u200bwidth",
        "keeps\nnew\nlines", "\u3000ideographic\u3000", "",
    ]) == ["padded", "tab here", "nbsp and thin", "zero width", "keeps\nnew\nlines",
           "ideographic", ""]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    assert kept_texts(juicer.operator("whitespace_normalization_mapper"), texts) == \
        [reference(t) for t in texts]


def test_other_fields_are_carried_unchanged():
    rows = [{"id": 7, "meta": {"url": "x"}, "text": " a\tb "}]
    assert juicer.operator("whitespace_normalization_mapper")(rows) == \
        [{"id": 7, "meta": {"url": "x"}, "text": "a b"}]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("whitespace_normalization_mapper"))
