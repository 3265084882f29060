"""What stopwords_filter and flagged_words_filter share: Data-Juicer's word-list options and
the share of a document's words found in a list."""
from __future__ import annotations

from typing import ClassVar, Optional

import numpy as np
from pydantic import Field, model_validator

from juicer.text import kernels, segmenters, wordlists, words
from juicer.core.batch import Batch
from juicer.errors import JuicerError
from juicer.core.operator import WordsParams


class WordListParams(WordsParams):
    _range = ("min_ratio", "max_ratio")
    #: which list (wordlists.KINDS) and the name of the folder option
    _kind: ClassVar[str] = ""
    use_words_aug: bool = Field(
        False, description="Also count groups of consecutive words joined together (for "
        "Chinese and Vietnamese).")
    words_aug_group_sizes: list[int] = Field([2], description="Sizes of the word groups.")
    words_aug_join_char: str = Field("", description="Joins the words of a group.")

    def folder(self) -> Optional[str]:
        return getattr(self, f"{self._kind}_dir")

    @model_validator(mode="after")
    def _list_exists(self):
        try:
            wordlists.load(self._kind, self.lang, self.folder())
        except JuicerError as exc:
            raise ValueError(str(exc)) from None
        return self


def word_list_share(op, batch: Batch, text_field: str) -> np.ndarray:
    """Share of each document's refined words (augmented if asked) in the operator's list."""
    params = op.params
    if not hasattr(op, "vocabulary"):
        op.vocabulary = words.hash_words(wordlists.load(params._kind, params.lang, params.folder()))
    field = op.text_field(text_field)
    if params.use_words_aug:
        found = words.augmented_words(batch.text(field), params.words_aug_group_sizes,
                                      params.words_aug_join_char)
    else:
        found = segmenters.words_of_batch(batch, field,
                                          params.lang if params.tokenization else None)
    return kernels.safe_ratio(found.count_in(op.vocabulary), found.per_document())
