"""What the shingle-based deduplicators (MinHash, SimHash) share: Data-Juicer's text
normalization and tokenization parameters."""
from __future__ import annotations

from typing import Literal, Optional

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from juicer.core.operator import DedupParams, Deduplicator
from juicer.text.shingles import Shingles, shingle_hashes


class ShingleParams(DedupParams):
    tokenization: Literal["whitespace", "space", "punctuation", "character", "cjk"] = Field(
        "whitespace", description="Tokens of a shingle: words split on any white space "
        "(so a copy whose line breaks became spaces, or whose paragraphs were re-wrapped, "
        "is found), words split on the space character only (Data-Juicer's `space`, what "
        "a Data-Juicer recipe gets by default), pieces between punctuation, characters, "
        "or `cjk` (words, and each Han or kana character a word).")
    window_size: int = Field(5, ge=1, description="Tokens per shingle.")
    lowercase: bool = Field(True, description="Lowercase texts first.")
    ignore_pattern: Optional[str] = Field(
        None, description="Regular expression (RE2 syntax: linear time, no backreferences) "
        "of substrings removed before shingling.")

    @model_validator(mode="after")
    def _valid_pattern(self):
        if self.ignore_pattern is not None:
            try:
                pc.replace_substring_regex(pa.array([""]), self.ignore_pattern, "")
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"ignore_pattern is not a valid regular expression: {exc}")
        return self


class ShingleDeduplicator(Deduplicator):
    """A deduplicator comparing documents by their shingles."""

    def shingles(self, texts: list[str], hash_func: str = "rolling64") -> Shingles:
        params = self.params
        if params.lowercase:
            texts = [t.lower() for t in texts]  # Python's lower, as Data-Juicer
        if params.ignore_pattern:
            # RE2 through Arrow: linear time, so no pattern or text can hang a worker
            texts = pc.replace_substring_regex(pa.array(texts, pa.large_string()),
                                               params.ignore_pattern, "").to_pylist()
        return shingle_hashes(texts, params.tokenization, params.window_size, hash_func)
