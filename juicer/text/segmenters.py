"""Words as a language's segmenter cuts them. Word tokens as datatrove's rule sets see them:
spaCy's rule-based tokenizer for the language (`spacy.blank(lang)`, no model), tokens
stripped, empty ones dropped; and for Data-Juicer's `tokenization` option, a document's
words from jieba, MeCab or pythainlp (segmented_text). Token counts for language models are
juicer.models.token_counters.

Whole documents are tokenized: spaCy's special cases (emoticons, quotes) can join or split
tokens across whitespace, so tokenizing distinct chunks separately, which would be faster,
gives different tokens on a few documents in a thousand. Everything after tokenization is
vectorized over the batch's tokens.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np
import pyarrow as pa

from juicer.text import heuristics, words
from juicer.text.heuristics import Pieces

# The tokens of a batch: every token of every document, documents in order.
Tokens = Pieces


@lru_cache(maxsize=8)
def _spacy_tokenizer(lang: str):
    import spacy

    try:
        if lang == "zh":  # datatrove's choice: jieba words rather than spaCy's characters
            return spacy.blank(lang, config={"nlp": {"tokenizer": {"segmenter": "jieba"}}}).tokenizer
        # Japanese needs SudachiPy (extra cjk), Thai pythainlp (extra thai)
        return spacy.blank(lang).tokenizer
    except ImportError as exc:
        from juicer.errors import MissingDependencyError

        package, extra = _SPACY_LANGUAGE_PACKAGES.get(lang, (exc.name, None))
        if extra is None:  # spaCy's message names what it needs
            from juicer.errors import JuicerError

            raise JuicerError(f"spaCy's '{lang}' tokenizer needs a package that is not "
                              f"installed: {exc}") from None
        raise MissingDependencyError(package, extra, f"spaCy's '{lang}' tokenizer") from None


# what spaCy's tokenizers of some languages import, and Juicer's extra that installs it
# (spaCy's ImportError does not always name the module)
_SPACY_LANGUAGE_PACKAGES = {"ja": ("sudachipy", "cjk"), "zh": ("jieba", "cjk"),
                            "th": ("pythainlp", "thai"),
                            "vi": ("pyvi", "vi")}


def word_tokens(text: pa.Array, lang: str = "en") -> Tokens:
    """spaCy's tokens of each document, stripped, without empty ones."""
    tokenizer = _spacy_tokenizer(lang)
    tokens, counts = [], []
    for doc in tokenizer.pipe(text.to_pylist(), batch_size=256):
        found = [stripped for stripped in (token.text.strip() for token in doc) if stripped]
        tokens += found
        counts.append(len(found))
    doc_index = np.repeat(np.arange(len(text), dtype=np.int64), counts)
    return Tokens(pa.array(tokens, pa.large_string()), doc_index, len(text))


def of_batch(batch, field: str, lang: str) -> Tokens:
    """spaCy's tokens of a batch's text field, computed once for all operators."""
    return batch.view(f"spacy_tokens_{lang}", field, lambda: word_tokens(batch.text(field), lang))


def words_of_batch(batch, field: str, segment_lang: Optional[str] = None) -> words.Words:
    """The refined words of a batch's text field (juicer.text.words), computed once for all
    operators; with `segment_lang`, split where that language's segmenter splits (see
    segmented_text)."""
    if segment_lang is None:
        return words.of_batch(batch, field)
    return batch.view(f"refined_words_{segment_lang}", field, lambda: words.refined_words(
        segmented_text(batch.text(field), segment_lang)))


def segmented_text(text: pa.Array, lang: str) -> pa.Array:
    """Each document's words from a segmenter, one per line: jieba (Chinese) and pythainlp
    (Thai) through spaCy, MeCab (Japanese), spaCy's rules for other languages. Refining
    the result splits exactly at the segmenter's word boundaries."""
    if lang == "ja":
        pieces = heuristics.words(text, "ja")
        tokens, doc = pieces.text, pieces.doc
    else:
        found = word_tokens(text, lang)
        tokens, doc = found.text, found.doc
    values = tokens.to_pylist()
    bounds = np.searchsorted(doc, np.arange(len(text) + 1))
    return pa.array(["\n".join(values[bounds[i]:bounds[i + 1]]) for i in range(len(text))],
                    pa.string())


def per_token_code_points(tokens: Tokens):
    """(code points, offsets) of every token (see kernels.code_points)."""
    from juicer.text import kernels

    return kernels.code_points(tokens.text.cast(pa.string()))

