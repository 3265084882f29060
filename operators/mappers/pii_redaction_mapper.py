from __future__ import annotations

import ipaddress
import re
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.operator import Mapper, OpParams

Entity = Literal["secret", "email", "iban", "credit_card", "ipv4", "ipv6", "phone"]
DEFAULT_TAGS = {"secret": "<SECRET>", "email": "<EMAIL>", "iban": "<IBAN>",
                "credit_card": "<CREDIT_CARD>", "ipv4": "<IP_ADDRESS>", "ipv6": "<IP_ADDRESS>",
                "phone": "<PHONE>"}

# Candidate patterns (linear: no nested quantifiers), checked further where a checksum or a
# parser can tell a real value from a look-alike. Secrets come first: keys contain digits.
_SECRET = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,250}|\bAIza[0-9A-Za-z_\-]{35}\b"
    r"|\b[rs]k_(?:live|test)_[0-9A-Za-z]{24,250}\b|\bsk-[A-Za-z0-9_\-]{32,250}\b"
    r"|(?i:\b(?:api[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|password|passwd)"
    r"\b[\"']?\s{0,3}[:=]\s{0,3}[\"']?)(?P<value>[A-Za-z0-9_\-/+=.]{12,250})", re.DOTALL)
# the local part as written, dots anywhere: a truncated or malformed one still names a
# mailbox (Google Groups shows `name...@gmail.com`); the domain: names with a letter TLD, or
# an IPv4 literal, bare or in brackets
_EMAIL = re.compile(
    r"\b[A-Za-z0-9._%+\-]{1,64}@"
    r"(?:(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}\b"
    r"|\[?(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\]?(?![\d.]))")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d.,-])(?:\d[ -]?){12,18}\d(?![\d-]|[.,]\d)")
# not inside a longer dotted number (a version 1.2.3.4.5); a dot before or after is fine
_IPV4 = re.compile(r"(?<!\d)(?<!\d\.)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                   r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}"
                    r"(?![\w:-]|\.\d)|(?<![\w+])\+\d{8,15}(?!\w)")
# RE2 prefilters, one per entity: a document is scanned (in Python) only for the entities
# whose prefilter finds something in it, which one RE2 pass over the batch tells
_PREFILTERS = {
    "secret": r"PRIVATE KEY|AKIA|gh[pousr]_|github_pat_|xox|AIza|[rs]k_|sk-|(?i)api|secret|token|passw",
    "email": r"@", "iban": r"[A-Z]{2}\d{2} ?[A-Z0-9]",
    "credit_card": r"(?:\d[ -]?){12,18}\d", "ipv4": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    "ipv6": r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:", "phone": r"\d{2,4}[ .-]\d{2,4}|\+\d{8}|\(\d",
}


class PiiRedactionMapper(Mapper):
    """Replace personal data and credentials with tags: e-mail addresses (`<EMAIL>`; at an
    IP literal too, and with a malformed local part such as `name...@gmail.com`, which
    still names a mailbox), public IPv4 addresses and IPv6 addresses (`<IP_ADDRESS>`: private, loopback
    and other reserved IPv4 ranges are kept, as datatrove keeps them), phone numbers (`<PHONE>`: 8 to 15 digits in
    international or grouped form), payment card numbers that pass the Luhn check
    (`<CREDIT_CARD>`), IBANs that pass the ISO 13616 mod-97 check (`<IBAN>`), and secrets
    (`<SECRET>`: private key blocks, AWS, GitHub, Slack, Google, Stripe and OpenAI-style
    keys, and values assigned to api_key/token/password-like names, whose name is kept).

    Candidates are found with linear-time patterns and validated (checksums, address
    parsing), so years, prices and version numbers stay. Rows with no digit, `@` or key
    marker are skipped by one RE2 pass over the batch. `entities` chooses what is redacted;
    `tags` overrides the replacement per entity."""

    name = "pii_redaction_mapper"

    class Params(OpParams):
        entities: list[Entity] = Field(list(DEFAULT_TAGS), description="What to redact.")
        tags: dict[Entity, str] = Field({}, description="Replacement per entity; others use "
                                        "<EMAIL>, <IP_ADDRESS>, <PHONE>, <CREDIT_CARD>, <IBAN>, "
                                        "<SECRET>.")

    def map_text(self, text: pa.Array) -> pa.Array:
        hits = {entity: pc.match_substring_regex(text, _PREFILTERS[entity]).to_numpy(
            zero_copy_only=False) for entity in self.params.entities}
        candidates = np.logical_or.reduce(list(hits.values())) if hits else np.zeros(len(text), bool)
        if not candidates.any():
            return text
        tags = {**DEFAULT_TAGS, **self.params.tags}
        values = text.to_pylist()
        for index in np.flatnonzero(candidates):
            entities = [entity for entity in self.params.entities if hits[entity][index]]
            values[index] = redact(values[index], entities, tags)
        return pa.array(values, pa.string())


def redact(text: str, entities, tags: dict[str, str]) -> str:
    for entity, pattern, valid in _STEPS:
        if entity in entities:
            tag = tags[entity]
            text = pattern.sub(lambda m, tag=tag, valid=valid: _replace(m, tag, valid), text)
    return text


def _replace(match: re.Match, tag: str, valid) -> str:
    if not valid(match.group()):
        return match.group()
    if match.re is _SECRET and match.group("value"):
        return match.group()[:match.start("value") - match.start()] + tag
    return tag


def luhn_valid(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ipv6_valid(candidate: str) -> bool:
    try:
        address = ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return candidate.count(":") >= 2 and any(c.isalnum() for c in candidate) and \
        address.is_global  # loopback, link-local, unique-local, documentation: kept


def _phone_valid(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    # without a country code, a grouped number needs a bracketed area code or 9 to 12
    # digits, so dates (2019-11-20), amounts (1 000 000) and account numbers are not phones
    if candidate.startswith("+"):
        return 8 <= digits <= 15
    return ("(" in candidate and 8 <= digits <= 12 or 9 <= digits <= 12) \
        and not re.search(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}", candidate)


def _always(_: str) -> bool:
    return True


def _public_ipv4(candidate: str) -> bool:
    """Only addresses that can reach a person: private (10/8, 172.16/12, 192.168/16),
    loopback, link-local, this-network (0/8) and other reserved ranges identify no one
    outside a network, and are kept (as datatrove does)."""
    return ipaddress.IPv4Address(candidate).is_global


_STEPS = [("secret", _SECRET, _always), ("email", _EMAIL, _always), ("iban", _IBAN, iban_valid),
          ("credit_card", _CARD, luhn_valid), ("ipv4", _IPV4, _public_ipv4),
          ("ipv6", _IPV6, _ipv6_valid), ("phone", _PHONE, _phone_valid)]
