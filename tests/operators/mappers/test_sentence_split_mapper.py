import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    op = juicer.operator("sentence_split_mapper")
    assert kept_texts(op, [
        "First one. Second one! Third? “Quoted.” Last", "你好。再见！", "one line\n\n  two  ", ""]) == [
        "First one.\nSecond one!\nThird?\n“Quoted.”\nLast", "你好。\n再见！", "one line\ntwo", ""]


def test_real_documents_keep_every_non_space_character(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    for text, result in zip(texts, kept_texts(juicer.operator("sentence_split_mapper"), texts)):
        assert "".join(result.split()) == "".join(text.split())
        assert all(line == line.strip() and line for line in result.split("\n") if result)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("sentence_split_mapper"))
