import juicer
from juicer_operators.mappers.punctuation_normalization_mapper import PUNCTUATION
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    op = juicer.operator("punctuation_normalization_mapper")
    assert kept_texts(op, ["你好，世界。", "«quoted» — dash…", "plain, text."]) == [
        "你好,世界.", '"quoted"  -  dash...', "plain, text."]


def test_matches_reference_on_real_documents(sample_texts):
    assert_matches_reference(juicer.operator("punctuation_normalization_mapper"),
                             lambda t: "".join(PUNCTUATION.get(c, c) for c in t),
                             EDGE_TEXTS + sample_texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("punctuation_normalization_mapper"))
