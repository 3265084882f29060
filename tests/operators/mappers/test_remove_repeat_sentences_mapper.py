import re

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def split(line):
    line = re.sub(r"([.。！!？\?])([^’”])", r"\1\n\2", line)
    line = re.sub(r"(\.{6})([^’”])", r"\1\n\2", line)
    line = re.sub(r"(\…{2})([^’”])", r"\1\n\2", line)
    line = re.sub(r"([.。!！？\?\.{6}\…{2}][’”])([^’”])", r"\1\n\2", line)
    return line.split("\n")


def reference(text, lowercase=False, ignore_special=True, min_length=2):
    seen, out = set(), []
    for line in text.split("\n"):
        kept = ""
        for sentence in split(line) if line else []:
            key = sentence.strip()
            key = key.lower() if lowercase else key
            key = re.sub(r"[^a-zA-Z0-9\u4e00-\u9fa5\n\t ]", "", key) if ignore_special else key
            if len(key) < min_length or key not in seen:
                kept += sentence
                if len(key) >= min_length:
                    seen.add(key)
        out.append(kept)
    return "\n".join(out)


def test_hand_checked_results():
    op = juicer.operator("remove_repeat_sentences_mapper")
    assert kept_texts(op, ["Hello there. Hello there! New one.\nHello there.", "你好。你好。再见。"]) == [
        "Hello there. New one.\n", "你好。再见。"]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    assert_matches_reference(juicer.operator("remove_repeat_sentences_mapper"), reference, texts)
    assert_matches_reference(
        juicer.operator("remove_repeat_sentences_mapper", lowercase=True,
                        ignore_special_character=False, min_repeat_sentence_length=10),
        lambda t: reference(t, True, False, 10), texts)


def test_code_in_the_recipe_is_refused():
    with pytest.raises(ValueError, match="not run from a recipe"):
        juicer.operator("remove_repeat_sentences_mapper", tokenizer="lambda t: t.split('.')")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_repeat_sentences_mapper"))
