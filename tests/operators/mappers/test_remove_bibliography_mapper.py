import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import (assert_matches_reference, check_null_is_quarantined,
                                     kept_texts, latex_texts)

PATTERN = (r"(\\appendix|\\begin\{references\}|\\begin\{REFERENCES\}|"
           r"\\begin\{thebibliography\}|\\bibliography\{.*\}).*$")


def test_hand_checked_results():
    op = juicer.operator("remove_bibliography_mapper")
    assert kept_texts(op, ["body\n\\bibliography{refs}\nmore", "text\\appendix\nA", "no refs"]) == [
        "body\n", "text", "no refs"]


def test_matches_reference_on_real_latex():
    assert_matches_reference(juicer.operator("remove_bibliography_mapper"),
                             lambda t: re.sub(PATTERN, "", t, flags=re.DOTALL),
                             EDGE_TEXTS + latex_texts())


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_bibliography_mapper"))
