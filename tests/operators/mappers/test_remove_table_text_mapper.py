import re

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import (assert_matches_reference, check_null_is_quarantined,
                                     kept_texts, latex_texts)


def reference(text, min_col=2, max_col=20):
    for i in range(min_col - 1, max_col):
        text = re.sub(r"(?<=\n)((\S+?)([ |\t](\S+?)){%d}\n+){2,}" % i, "", text)
    return text


def test_hand_checked_results():
    op = juicer.operator("remove_table_text_mapper")
    table = "Intro line here\na b c\n1 2 3\n4 5 6\nAfter the table, prose."
    assert kept_texts(op, [table, "no\ntable"]) == [
        "Intro line here\nAfter the table, prose.", "no\ntable"]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + latex_texts() + sample_texts[:600]
    assert_matches_reference(juicer.operator("remove_table_text_mapper"), reference, texts)
    assert_matches_reference(juicer.operator("remove_table_text_mapper", min_col=3, max_col=5),
                             lambda t: reference(t, 3, 5), texts)


def test_column_range_is_checked():
    with pytest.raises(ValueError):
        juicer.operator("remove_table_text_mapper", min_col=5, max_col=3)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_table_text_mapper"))
