import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def reference(text, alphabet=True, number=True, punc=True):
    kept = "\u4e00-\u9fa5" + ("A-Za-z" if alphabet else "") + ("0-9" if number else "")
    kept += ".， ,\\-。%《*》/•、&＆(—)（+）：？!！“”·" if punc else ""
    return re.sub(f"[^{kept}]+", "", text)


def test_hand_checked_results():
    op = juicer.operator("remove_non_chinese_character_mapper")
    assert kept_texts(op, ["中文abc123，ü😀日本語のテキスト\n"]) == ["中文abc123，日本語"]
    strict = juicer.operator("remove_non_chinese_character_mapper", keep_alphabet=False,
                             keep_number=False, keep_punc=False)
    assert kept_texts(strict, ["中文abc123，。"]) == ["中文"]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    assert_matches_reference(juicer.operator("remove_non_chinese_character_mapper"), reference, texts)
    assert_matches_reference(
        juicer.operator("remove_non_chinese_character_mapper", keep_punc=False, keep_number=False),
        lambda t: reference(t, number=False, punc=False), texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_non_chinese_character_mapper"))
