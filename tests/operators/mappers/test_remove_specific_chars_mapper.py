import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    assert kept_texts(juicer.operator("remove_specific_chars_mapper"),
                      ["◆ item ● two ■", "plain", "♡♡"]) == [" item  two ", "plain", ""]
    assert kept_texts(juicer.operator("remove_specific_chars_mapper", chars_to_remove=["a", "]"]),
                      ["[a]b"]) == ["[b"]
    assert kept_texts(juicer.operator("remove_specific_chars_mapper", chars_to_remove=""),
                      ["◆"]) == ["◆"]


def test_matches_reference_on_real_documents(sample_texts):
    chars = "◆●■►▼▲▴∆▻▷❖♡□"
    assert_matches_reference(juicer.operator("remove_specific_chars_mapper"),
                             lambda t: "".join(c for c in t if c not in chars),
                             EDGE_TEXTS + sample_texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_specific_chars_mapper"))
