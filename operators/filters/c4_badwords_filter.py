from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import wordlists
from juicer.core.batch import ROW_ID, Batch, nested_field
from juicer.errors import OperatorError
from juicer.core.operator import Filter, OpParams, Rule
from juicer.text.shingles import fmix64_array

# Words C4's lists flag that are ordinary in these languages (datatrove's allow-list)
ALLOWED = {"sm", "グロ", "女の子", "性"}
# languages written without spaces: a bad word matches anywhere, not only as a whole word
NO_SPACES = ("ja", "th", "zh")


class C4BadwordsFilter(Filter):
    """C4's bad-words rule: drop documents containing a word of the "List of Dirty, Naughty,
    Obscene and Otherwise Bad Words" (LDNOOBW) for their language, deciding as datatrove's
    C4BadWordsFilter does: the lowercased text is searched for a listed word between
    non-word characters (anywhere, for Japanese, Thai and Chinese).

    The language comes from `lang_key` (a field such as `lang` or `meta.language`), else
    `default_language`. `keep_fraction` keeps that share of the flagged documents, chosen by
    a hash of `seed` and the row, so the choice is the same on every executor (datatrove
    draws from a random generator). The lists are datatrove's by default: LDNOOBW at commit
    5faf2ba, English at 25e679f (26 words fewer than 5faf2ba's); `word_lists: ldnoobw-5faf2ba`
    uses 5faf2ba's English list too."""

    name = "c4_badwords_filter"
    stats = {"badwords_found": pa.bool_()}

    class Params(OpParams):
        keep_fraction: float = Field(0.0, ge=0, le=1, description="Share of flagged documents "
                                     "kept anyway.")
        fail_on_missing_language: bool = Field(True, description="Quarantine documents whose "
                                               "language has no list (false: keep them).")
        seed: int = Field(0, description="Seed of the keep_fraction choice.")
        default_language: str = Field("en", description="Language of documents without one.")
        lang_key: Optional[str] = Field(None, description="Field holding each document's "
                                        "language; dots reach nested fields.")
        word_lists: Literal["datatrove", "ldnoobw-5faf2ba"] = Field(
            "datatrove", description="Shipped lists: `datatrove`'s (LDNOOBW 5faf2ba, but "
            "English at the older 25e679f: 26 words fewer, e.g. no `sexual`), or 5faf2ba for "
            "every language.")
        flagged_words_dir: Optional[str] = Field(
            None, description="Folder of `<lang>.txt` lists; empty uses the shipped lists.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        params = self.params
        text = batch.text(self.text_field(text_field))
        if params.lang_key:
            langs = pc.fill_null(nested_field(batch.table, params.lang_key).cast(pa.string()),
                                 params.default_language)
        else:
            langs = pa.array([params.default_language] * len(batch), pa.string())
        found = np.zeros(len(batch), dtype=bool)
        lowered = None
        for lang in pc.unique(langs).to_pylist():
            rows = np.flatnonzero(pc.equal(langs, lang).to_numpy(zero_copy_only=False))
            pattern = _pattern(lang, params.flagged_words_dir, params.word_lists)
            if pattern is None:
                if params.fail_on_missing_language:
                    raise OperatorError(f"no bad-words list for language '{lang}'; set "
                                        f"fail_on_missing_language: false to keep such documents")
                continue
            if lowered is None:  # Python's lower, as datatrove
                lowered = pa.array([t.lower() for t in text.to_pylist()], pa.string())
            subset = lowered.take(pa.array(rows))
            found[rows] = pc.match_substring_regex(subset, pattern).to_numpy(zero_copy_only=False)
        if params.keep_fraction > 0 and ROW_ID in batch.table.column_names:
            draw = fmix64_array(batch.table.column(ROW_ID).to_numpy().astype(np.uint64)
                                ^ np.uint64(params.seed & (2**64 - 1))) / float(2**64)
            found &= ~(draw < params.keep_fraction)
        return {"badwords_found": pa.array(found)}

    def rules(self):
        return [Rule("document_removed_with_badwords", "badwords_found", "is", False,
                     lambda v: ~v.astype(bool))]


@lru_cache(maxsize=64)
def _pattern(lang: str, folder: Optional[str], lists: str = "datatrove") -> Optional[str]:
    try:
        if folder is None and lists == "datatrove" and lang == "en":
            words = wordlists.load("c4_badwords_datatrove", "en")  # the list it downloads
        else:
            words = wordlists.load("flagged_words", lang, folder)
    except Exception:  # no list for this language
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words - ALLOWED) if w)
    if lang in NO_SPACES:
        return f"(?:{alternatives})"
    return rf"(?:[^\pL\pN_]|^)(?:{alternatives})(?:[^\pL\pN_]|$)"
