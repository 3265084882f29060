import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import (assert_matches_reference, check_null_is_quarantined,
                                     kept_texts, latex_texts)


def reference(text):
    macros = {}
    for pattern in (r"\\\bnewcommand\b\*?\{(\\[a-zA-Z0-9]+?)\}\{(.*?)\}$",
                    r"\\def\s*(\\[a-zA-Z0-9]+?)\s*\{(.*?)\}$"):
        for found in re.finditer(pattern, text, flags=re.MULTILINE):
            macros[found.group(1)] = found.group(2)
    for name, value in macros.items():
        text = re.sub("(" + re.escape(name) + ")([^a-zA-Z0-9])",
                      lambda m, value=value: value + m.group(2), text)
    return text


def test_hand_checked_results():
    op = juicer.operator("expand_macro_mapper")
    text = "\\newcommand{\\R}{\\mathbb{R}}\n\\def\\eps{\\varepsilon}\n$x \\in \\R$, \\eps, \\Rx."
    assert kept_texts(op, [text, "no macros"]) == [
        "\\newcommand{\\mathbb{R}}{\\mathbb{R}}\n\\def\\varepsilon{\\varepsilon}\n"
        "$x \\in \\mathbb{R}$, \\varepsilon, \\Rx.", "no macros"]


def test_non_ascii_values_are_inserted_literally():
    op = juicer.operator("expand_macro_mapper")
    assert kept_texts(op, ["\\newcommand{\\ap}{café}\n\\ap."]) == ["\\newcommand{café}{café}\ncafé."]


def test_matches_reference_on_real_latex():
    assert_matches_reference(juicer.operator("expand_macro_mapper"), reference,
                             EDGE_TEXTS + latex_texts())


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("expand_macro_mapper"))
