from __future__ import annotations

import re
from typing import Optional

import pyarrow as pa
from pydantic import Field, field_validator

from juicer.core.operator import Mapper, OpParams
from juicer.text.sentences import split_sentences

_SPECIAL = re.compile(r"[^a-zA-Z0-9\u4e00-\u9fa5\n\t ]")


class RemoveRepeatSentencesMapper(Mapper):
    """Remove sentences that already appeared earlier in the same document, keeping the
    first. Sentences are compared stripped, optionally lowercased and without special
    characters (anything but ASCII letters and digits, common Chinese characters and
    whitespace); sentences shorter than `min_repeat_sentence_length` after that are always
    kept. Line breaks stay where they were.

    Same rule and sentence splitter as Data-Juicer's mapper of this name (see
    juicer/text/sentences.py). Its `tokenizer` option, Python code in the recipe, is refused."""

    name = "remove_repeat_sentences_mapper"

    class Params(OpParams):
        lowercase: bool = Field(False, description="Compare sentences lowercased.")
        ignore_special_character: bool = Field(
            True, description="Compare sentences without special characters.")
        min_repeat_sentence_length: int = Field(
            2, ge=0, description="Shorter sentences (as compared) are never removed.")
        tokenizer: Optional[str] = Field(None, description="Not supported: recipes do not "
                                         "run Python code.")

        @field_validator("tokenizer")
        @classmethod
        def _no_code(cls, value):
            if value is not None:
                raise ValueError("a tokenizer written as Python code is not run from a recipe; "
                                 "leave tokenizer empty to use the built-in sentence splitter")
            return value

    def map_text(self, text: pa.Array) -> pa.Array:
        return pa.array([self._dedup(value) for value in text.to_pylist()], pa.string())

    def _dedup(self, document: str) -> str:
        params = self.params
        seen: set[str] = set()
        lines = []
        for line in document.split("\n"):
            kept = []
            for sentence in split_sentences(line) if line else ():
                key = sentence.strip()
                if params.lowercase:
                    key = key.lower()
                if params.ignore_special_character:
                    key = _SPECIAL.sub("", key)
                if len(key) < params.min_repeat_sentence_length:
                    kept.append(sentence)
                elif key not in seen:
                    kept.append(sentence)
                    seen.add(key)
            lines.append("".join(kept))
        return "\n".join(lines)
