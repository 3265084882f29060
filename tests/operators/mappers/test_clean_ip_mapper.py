import re

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts

DATA_JUICER_PATTERN = (
    r"(?:(?:1[0-9][0-9]\.)|(?:2[0-4][0-9]\.)|(?:25[0-5]\.)|(?:[1-9][0-9]\.)|(?:[0-9]\.)){3}"
    r"(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))"
    r"|([\da-fA-F]{1,4}:){7}[\da-fA-F]{1,4}")


def test_hand_checked_results():
    op = juicer.operator("clean_ip_mapper")
    assert kept_texts(op, [
        "host 192.168.0.1 up", "v6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 end",
        "version 1.2", "256.1.1.1"]) == [
        "host  up", "v6  end", "version 1.2", "2"]


def test_matches_python_re_on_real_documents(sample_texts):
    assert_matches_reference(juicer.operator("clean_ip_mapper"),
                             lambda t: re.sub(DATA_JUICER_PATTERN, "", t, flags=re.DOTALL),
                             EDGE_TEXTS + sample_texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("clean_ip_mapper"))
