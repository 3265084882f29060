"""Rule-based sentence splitting (Data-Juicer's, shared by the sentence operators).

A sentence ends after `.`, `。`, `!`, `！`, `？`, `?`, a run of six dots or two `…`, and
after a closing quote (’ ”) that follows one of those. No model is needed, so it works
offline for any language that uses these marks; abbreviations such as "Dr." end a sentence.
"""
from __future__ import annotations

import re

_RULES = [
    (re.compile(r"([.。！!？\?])([^’”])"), r"\1\n\2"),
    (re.compile(r"(\.{6})([^’”])"), r"\1\n\2"),
    (re.compile(r"(…{2})([^’”])"), r"\1\n\2"),
    # (Data-Juicer writes this class as [.。!！？\?\.{6}\…{2}], which is these characters.)
    (re.compile(r"([.。!！？\?{}6…2][’”])([^’”])"), r"\1\n\2"),
]


def split_sentences(line: str) -> list[str]:
    """The sentences of one line, each keeping the whitespace that preceded it."""
    for pattern, replacement in _RULES:
        line = pattern.sub(replacement, line)
    return line.split("\n")
