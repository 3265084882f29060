from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field

from juicer.text import kernels
from juicer.core.operator import LanguageParams, Mapper
from juicer_operators.mappers.word_rewriting import keep_words


class RemoveWordsWithIncorrectSubstringsMapper(Mapper):
    """Remove words containing any of the given substrings (by default link fragments:
    `http`, `www`, `.com`, `href`, `//`), checked after stripping special characters from
    the word's ends.

    Same rule as Data-Juicer's mapper of this name, including its rewriting: words are
    split on space, tab and newline, and empty lines and repeated spaces disappear. With
    `tokenization: true` a word that fails is cut by the language's segmenter (jieba for
    zh, MeCab for ja, pythainlp for th, spaCy's rules otherwise) and only its failing
    pieces are removed: Chinese and Japanese put no spaces between words, so a whole
    sentence is one whitespace word there."""

    name = "remove_words_with_incorrect_substrings_mapper"

    class Params(LanguageParams):
        substrings: Optional[list[str]] = Field(
            None, description="Substrings that mark a word for removal; empty uses http, "
            "www, .com, href and //.")

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

        if not self.params.tokenization:
            return keep_words(text, keep)
        return _keep_segmented_words(text, keep, self.params.lang)


def _keep_segmented_words(text: pa.Array, keep, lang: str) -> pa.Array:
    """Data-Juicer's rewriting, where a word that fails is not removed whole but cut by the
    language's segmenter and only its failing pieces removed (the rest of it stays as
    written): in Chinese a run of text without spaces is one whitespace word."""
    from juicer.text.segmenters import segmented_text

    documents = text.to_pylist()
    failing = sorted({word for document in documents for word in _words(document)
                      if not keep(word)})
    pieces = dict(zip(failing, segmented_text(pa.array(failing, pa.string()), lang).to_pylist()
                      if failing else []))

    def rewritten(word: str) -> str:
        if word not in pieces:
            return word
        return "".join(piece for piece in pieces[word].split("\n") if piece and keep(piece))

    return pa.array([_rewrite_words(document, rewritten) for document in documents], pa.string())


def _words(document: str):
    for line in document.split("\n"):
        for part in line.split("\t"):
            yield from (word for word in part.split(" ") if word)


def _rewrite_words(document: str, rewritten) -> str:
    lines = []
    for line in document.split("\n"):
        parts = []
        for part in line.split("\t"):
            words = [new for new in (rewritten(w) for w in part.split(" ") if w) if new]
            if words:
                parts.append(" ".join(words))
        if parts:
            lines.append("\t".join(parts))
    return "\n".join(lines)
