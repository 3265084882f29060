"""Word tokens as datatrove's rule sets see them: spaCy's rule-based tokenizer for the
language (`spacy.blank(lang)`, no model), tokens stripped, empty ones dropped.

Whole documents are tokenized: spaCy's special cases (emoticons, quotes) can join or split
tokens across whitespace, so tokenizing distinct chunks separately, which would be faster,
gives different tokens on a few documents in a thousand. Everything after tokenization is
vectorized over the batch's tokens.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from juicer.heuristics import Pieces

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


def per_token_code_points(tokens: Tokens):
    """(code points, offsets) of every token (see kernels.code_points)."""
    from juicer import kernels

    return kernels.code_points(tokens.text.cast(pa.string()))

