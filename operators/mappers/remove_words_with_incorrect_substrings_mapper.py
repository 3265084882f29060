from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field, field_validator

from juicer import kernels
from juicer.operator import LanguageParams, Mapper
from juicer_operators.mappers.word_rewriting import keep_words


class RemoveWordsWithIncorrectSubstringsMapper(Mapper):
    """Remove words containing any of the given substrings (by default link fragments:
    `http`, `www`, `.com`, `href`, `//`), checked after stripping special characters from
    the word's ends.

    Same rule as Data-Juicer's mapper of this name, including its rewriting: words are
    split on space, tab and newline, and empty lines and repeated spaces disappear."""

    name = "remove_words_with_incorrect_substrings_mapper"

    class Params(LanguageParams):
        substrings: Optional[list[str]] = Field(
            None, description="Substrings that mark a word for removal; empty uses http, "
            "www, .com, href and //.")

        @field_validator("tokenization")
        @classmethod
        def _whitespace_only(cls, value: bool) -> bool:
            if value:
                raise ValueError("this mapper rewrites whitespace-separated words; use "
                                 "tokenization: false")
            return value

    def map_text(self, text: pa.Array) -> pa.Array:
        substrings = self.params.substrings
        if substrings is None:
            substrings = ["http", "www", ".com", "href", "//"]
        strip = "".join(kernels.special_characters())

        def keep(word: str) -> bool:
            # the stripped word is part of the word: strip only words that may fail
            if not any(sub in word for sub in substrings):
                return True
            stripped = word.strip(strip)
            return not any(sub in stripped for sub in substrings)

        return keep_words(text, keep)
