from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from juicer.operator import Mapper, OpParams
from juicer.sentences import split_sentences


class SentenceSplitMapper(Mapper):
    """Put each sentence on its own line: every line of the text is split into sentences
    (see juicer/sentences.py), each stripped of surrounding whitespace; empty ones vanish.

    Data-Juicer's mapper of this name uses NLTK's Punkt models, which it downloads at run
    time; Juicer's splitter is rule-based and offline, so it also splits after
    abbreviations such as "Dr." that Punkt knows."""

    name = "sentence_split_mapper"

    class Params(OpParams):
        lang: str = Field("en", description="Language of the documents (the rules are the "
                          "same for every language).")

    def map_text(self, text: pa.Array) -> pa.Array:
        return pa.array([_one_per_line(value) for value in text.to_pylist()], pa.string())


def _one_per_line(document: str) -> str:
    sentences = (s.strip() for line in document.splitlines() for s in split_sentences(line))
    return "\n".join(s for s in sentences if s)
