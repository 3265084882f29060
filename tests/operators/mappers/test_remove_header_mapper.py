import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import (assert_matches_reference, check_null_is_quarantined,
                                     kept_texts, latex_texts)

LEVELS = ["chapter", "part", "section", "subsection", "subsubsection", "paragraph", "subparagraph"]
PATTERN = r"^(.*?)(" + "|".join(
    rf"\\\b{level}\b\*?(?:\[(.*?)\])?\{{(.*?)\}}" for level in LEVELS) + ")"


def reference(text, drop_no_head=True):
    if not re.search(PATTERN, text, flags=re.DOTALL):
        return "" if drop_no_head else text
    return re.sub(PATTERN, r"\2", text, flags=re.DOTALL)


def test_hand_checked_results():
    op = juicer.operator("remove_header_mapper")
    assert kept_texts(op, ["\\documentclass{a}\n\\begin{document}\n\\section*{Intro}\ntext",
                           "no header", "pre\\subsection[s]{Long}\nx"]) == [
        "\\section*{Intro}\ntext", "", "\\subsection[s]{Long}\nx"]
    keep = juicer.operator("remove_header_mapper", drop_no_head=False)
    assert kept_texts(keep, ["no header"]) == ["no header"]


def test_matches_reference_on_real_latex():
    texts = EDGE_TEXTS + latex_texts()
    assert_matches_reference(juicer.operator("remove_header_mapper"), reference, texts)
    assert_matches_reference(juicer.operator("remove_header_mapper", drop_no_head=False),
                             lambda t: reference(t, False), texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_header_mapper"))
