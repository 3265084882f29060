import re

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    op = juicer.operator("replace_content_mapper", pattern=[r"\d+", r"(\w+)@(\w+)"],
                         repl=["<N>", r"\2 at \g<1>"])
    assert kept_texts(op, ["call 555 1234", "me@home", "ünï@cødé"]) == [
        "call <N> <N>", "home at me", "cødé at ünï"]
    one = juicer.operator("replace_content_mapper", pattern=["a", "b"], repl="-")
    assert kept_texts(one, ["abc"]) == ["--c"]
    assert kept_texts(juicer.operator("replace_content_mapper"), ["unchanged"]) == ["unchanged"]


def test_dot_matches_line_breaks_as_in_data_juicer():
    op = juicer.operator("replace_content_mapper", pattern="<!--.*?-->", repl="")
    assert kept_texts(op, ["a<!-- x\ny -->b"]) == ["ab"]


@pytest.mark.parametrize("pattern", [r"\s+", r"\w{3,}", r"[\d,.]+", r"\bthe\b", r"(?i)html?"])
def test_matches_python_re_on_real_documents(sample_texts, pattern):
    assert_matches_reference(juicer.operator("replace_content_mapper", pattern=pattern, repl="#"),
                             lambda t: re.sub(pattern, "#", t, flags=re.DOTALL),
                             EDGE_TEXTS + sample_texts[:500])


def test_mismatched_lists_are_refused():
    with pytest.raises(ValueError, match="2 patterns but 1 replacements"):
        juicer.operator("replace_content_mapper", pattern=["a", "b"], repl=["x"])
    with pytest.raises(ValueError, match="pattern 2"):
        juicer.operator("replace_content_mapper", pattern=["a", "(b"], repl="")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("replace_content_mapper", pattern="x"))
