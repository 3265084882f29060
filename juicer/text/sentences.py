"""Rule-based sentence splitting. `split_sentences` is Data-Juicer's regular-expression
rule, which remove_repeat_sentences_mapper keeps for parity; `sentences_of` is
sentence_split_mapper's, which reads as people do (Data-Juicer uses NLTK's Punkt there).

Data-Juicer's rule: a sentence ends after `.`, `。`, `!`, `！`, `？`, `?`, a run of six dots or two `…`, and
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


# Abbreviations after which a full stop does not end a sentence (lowercase, without the
# dot); a single letter (an initial) and a word with inner dots (U.S., EE.UU.) neither
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sr sra srta jr st mt ft vs etc cf al approx dept est fig figs inc ltd
co corp no nos vol vols pp ed eds rev gen col lt sgt capt cmdr adm gov sen rep pres
jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
dra profa av avda sres sras ud uds vd vds pág núm tel ca mme mlle mgr bzw usw ggf
""".split())
_ENDING = re.compile(r"[.!?…。！？]+[’”\"'»)\]]*")
_CJK_END = re.compile(r"[。！？]")
_LAST_WORD = re.compile(r"(\S+)$")


def sentences_of(line: str) -> list[str]:
    """The sentences of one line by punctuation, as people read them: a full stop, `!`,
    `?` or an ellipsis ends a sentence when white space and a word that is not lowercase
    follow, unless the word before it is an abbreviation (Dr., etc.), an initial or an
    acronym (U.S.); `。！？` end one wherever they are. A decimal point (3.14) or a domain
    (example.com) never does. Each sentence keeps the whitespace before it."""
    sentences, start = [], 0
    for match in _ENDING.finditer(line):
        end = match.end()
        if end >= len(line):
            break
        if not _CJK_END.search(match.group()):
            if not line[end].isspace():
                continue
            following = line[end:].lstrip()
            if not following or following[0].islower():
                continue
            if match.group().rstrip("’”\"'»)]") == ".":
                before = _LAST_WORD.search(line, 0, match.start())
                word = before.group(1).lstrip("(\"'“‘«[") if before else ""
                if word.lower() in ABBREVIATIONS or len(word) == 1 and word.isalpha() \
                        or "." in word:
                    continue
        sentences.append(line[start:end])
        start = end
    sentences.append(line[start:])
    return sentences
