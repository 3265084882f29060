import re

import pytest

import juicer
from juicer_operators.mappers.pii_redaction_mapper import iban_valid, luhn_valid
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, kept_texts


@pytest.mark.parametrize("text, expected", [
    ("mail john.doe+x@example.co.uk now", "mail <EMAIL> now"),
    ("card 4111 1111 1111 1111 or 4111-1111-1111-1112", "card <CREDIT_CARD> or 4111-1111-1111-1112"),
    ("pay to GB82 WEST 1234 5698 7654 32 or GB82 WEST 1234 5698 7654 33",
     "pay to <IBAN> or GB82 WEST 1234 5698 7654 33"),
    ("hosts 163.36.107.25, 999.1.1.1, 2a00:1450:4001:82a::200e at 12:30:45",
     "hosts <IP_ADDRESS>, 999.1.1.1, <IP_ADDRESS> at 12:30:45"),
    # private, loopback, this-network and documentation addresses identify no one
    ("lan 10.0.0.1 192.168.1.2 127.0.0.1 0.1.2.3 ::1 fe80::1 2001:db8::8a2e:370:7334",
     "lan 10.0.0.1 192.168.1.2 127.0.0.1 0.1.2.3 ::1 fe80::1 2001:db8::8a2e:370:7334"),
    # a dot before an address is punctuation; one inside a longer dotted number is not
    ("ip .3.3.3.0, at 8.8.8.8. but v1.2.3.4.5 and 108.0.0.01",
     "ip .<IP_ADDRESS>, at <IP_ADDRESS>. but v1.2.3.4.5 and 108.0.0.01"),
    # an address at an IP literal is one address; a malformed local part still names one
    ("mail email@123.123.123.123 or email@[123.123.123.123] or franz...@gmail.com",
     "mail <EMAIL> or <EMAIL> or <EMAIL>"),
    ("call +1 (555) 123-4567 or 030 1234 5678; not 2019-11-20, 1 000 000 or 555-1234",
     "call <PHONE> or <PHONE>; not 2019-11-20, 1 000 000 or 555-1234"),
    ('api_key = "abcdEFGH1234ijklMNOP" and AKIAIOSFODNN7EXAMPLE',
     'api_key = "<SECRET>" and <SECRET>'),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "<SECRET>"),
    ("year 2024, price 12.50, 3.5% more, ISBN 978-3-16-148410-0", None),
])
def test_hand_checked_redactions(text, expected):
    assert kept_texts(juicer.operator("pii_redaction_mapper"), [text]) == [expected or text]


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert not luhn_valid("0000000000000000")  # all one digit: a placeholder, not a card
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")


def test_choose_entities_and_tags():
    op = juicer.operator("pii_redaction_mapper", entities=["email"], tags={"email": "[mail]"})
    assert kept_texts(op, ["a@b.org 192.168.0.1"]) == ["[mail] 192.168.0.1"]
    with pytest.raises(ValueError):
        juicer.operator("pii_redaction_mapper", entities=["passport"])


def test_real_documents_lose_addresses_and_keep_numbers_that_are_not_pii(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    redacted = kept_texts(juicer.operator("pii_redaction_mapper"), texts)
    email = re.compile(r"\b[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}\b")
    assert sum(bool(email.search(t)) for t in texts) > 10
    assert not any(email.search(t) for t in redacted)
    # dates, times, decimals and years of the sample survive
    numbers = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d+\.\d+\b|\b(?:19|20)\d{2}\b")
    for before, after in zip(texts, redacted):
        if "<" not in after:
            assert after == before
    kept = sum(len(numbers.findall(t)) for t in redacted)
    assert kept >= 0.98 * sum(len(numbers.findall(t)) for t in texts)
    assert sum(a != b for a, b in zip(texts, redacted)) > 50


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("pii_redaction_mapper"))
