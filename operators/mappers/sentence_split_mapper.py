from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.core.operator import Mapper, OpParams
from juicer.text.sentences import sentences_of


class SentenceSplitMapper(Mapper):
    """Put each sentence on its own line: every line of the text is split into sentences
    (juicer.text.sentences.sentences_of), each stripped of surrounding whitespace; empty ones
    vanish.

    Data-Juicer's mapper of this name uses NLTK's Punkt models, which it downloads at run
    time. Juicer's splitter is rule-based and offline, with Punkt's outcome on the common
    cases: a sentence ends at `.`, `!`, `?` or `…` followed by white space and a word that
    is not lowercase, not after an abbreviation (Dr., etc., Sr.), an initial (J.) or an
    acronym (U.S., EE.UU.); a decimal point or a domain never ends one; `。！？` always do.
    Data-Juicer's own cases (en, fr, pt, es) give its outputs."""

    name = "sentence_split_mapper"

    class Params(OpParams):
        lang: str = Field("en", description="Language of the documents (the rules are the "
                          "same for every language).")

    def map_text(self, text: pa.Array) -> pa.Array:
        return pa.array([_one_per_line(value) for value in text.to_pylist()], pa.string())


def _one_per_line(document: str) -> str:
    sentences = (s.strip() for line in document.splitlines() for s in sentences_of(line))
    return "\n".join(s for s in sentences if s)
