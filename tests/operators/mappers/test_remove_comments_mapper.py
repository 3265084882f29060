import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import (assert_matches_reference, check_null_is_quarantined,
                                     kept_texts, latex_texts)


def reference(text, inline=True, multiline=True):
    if inline:
        text = re.sub(r"[^\\]%.+$", "", text, flags=re.MULTILINE)
    if multiline:
        text = re.sub(r"(?m)^%.*\n?", "", text, flags=re.MULTILINE)
    return text


def test_hand_checked_results():
    op = juicer.operator("remove_comments_mapper")
    assert kept_texts(op, ["a %note\nb", "% whole line\nkept", "50\\% off", "x\n%c\ny"]) == [
        "a\nb", "kept", "50\\% off", "x\ny"]


def test_matches_reference_on_real_latex():
    texts = EDGE_TEXTS + latex_texts()
    assert_matches_reference(juicer.operator("remove_comments_mapper"), reference, texts)
    assert_matches_reference(juicer.operator("remove_comments_mapper", inline=False),
                             lambda t: reference(t, inline=False), texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_comments_mapper"))
