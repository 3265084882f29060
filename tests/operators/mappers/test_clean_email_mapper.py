import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts

DATA_JUICER_PATTERN = r"[A-Za-z0-9.\-+_]+@[a-z0-9.\-+_]+\.[a-z]+"


def test_hand_checked_results():
    op = juicer.operator("clean_email_mapper")
    assert kept_texts(op, ["mail John.Doe+x@example.com now", "a@b.c", "no mail", "x@Y.COM"]) == \
        ["mail  now", "", "no mail", "x@Y.COM"]
    assert kept_texts(juicer.operator("clean_email_mapper", repl="<EMAIL>"), ["to a_b@c.org."]) == \
        ["to <EMAIL>."]


def test_matches_python_re_on_real_documents(sample_texts):
    assert_matches_reference(juicer.operator("clean_email_mapper"),
                             lambda t: re.sub(DATA_JUICER_PATTERN, "", t, flags=re.DOTALL),
                             EDGE_TEXTS + sample_texts)


def test_own_pattern_with_python_classes():
    op = juicer.operator("clean_email_mapper", pattern=r"r'\w+@\w+'", repl="[at]")
    assert kept_texts(op, ["écrit à josé@café ici"]) == ["écrit à [at] ici"]


def test_backtracking_pattern_is_refused_with_the_reason():
    import pytest

    with pytest.raises(ValueError, match="Lookarounds and backreferences"):
        juicer.operator("clean_email_mapper", pattern=r"(?<=x)@")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("clean_email_mapper"))
