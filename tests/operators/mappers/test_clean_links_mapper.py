import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts

DATA_JUICER_PATTERN = (
    r"(?i)\b((?:[a-z][\w-]+:(?:\/{1,3}|[a-z0-9%])|www\d{0,3}[.]|[a-z0-9.\-]+[.][a-z]{2,4}\/)"
    r"(?:[^\s()<>]+|\(([^\s()<>]+|(\([^\s()<>]+\)))*\))+(?:\(([^\s()<>]+|(\([^\s()<>]+\)))*\)"
    r"|[^\s`!()\[\]{};:\'\".,<>?«»“”‘’]))")


def test_hand_checked_results():
    op = juicer.operator("clean_links_mapper")
    assert kept_texts(op, [
        "see https://example.com/a?b=1 now", "visit www.foo.org.", "(http://x.io/p_(q))",
        "example.com/path and Übung http://ü.de/ä", "no links here", "mailto:a@b.c"]) == [
        "see  now", "visit .", "()", " and Übung ", "no links here", ""]


def test_matches_python_re_on_real_documents(sample_texts):
    assert_matches_reference(juicer.operator("clean_links_mapper"),
                             lambda t: re.sub(DATA_JUICER_PATTERN, "", t, flags=re.DOTALL),
                             EDGE_TEXTS + sample_texts)


def test_replacement_tag():
    op = juicer.operator("clean_links_mapper", repl="<URL>")
    assert kept_texts(op, ["a http://b.c/d e"]) == ["a <URL> e"]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("clean_links_mapper"))
