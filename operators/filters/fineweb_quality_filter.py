from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics, kernels, segmenters
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams, Rule
from juicer.core.rules import bound


class FinewebQualityFilter(Filter):
    """FineWeb's own quality rules (Penedo et al. 2024), deciding exactly as datatrove's
    FineWebQualityFilter with the same parameters. Over the non-blank lines (split on
    newlines), in order, a document is dropped when: it has none (`empty`); fewer than
    `line_punct_thr` of them end with terminal punctuation (`line_punct_ratio`; a ratio of 0
    passes with `line_punct_exclude_zero`); more than `short_line_thr` are at most
    `short_line_length` characters (`short_line_ratio`); characters in lines repeating an
    earlier line exceed `char_duplicates_ratio` of the text without newlines
    (`char_dup_ratio`); newlines per word exceed `new_line_ratio` (`list_ratio`; words are
    spaCy's tokens, extra `nlp`). spaCy runs only on documents whose newlines per
    whitespace-separated chunk exceed `new_line_ratio` (a chunk holds at least one token,
    so the others pass); their `list_ratio` stat is null."""

    name = "fineweb_quality_filter"
    requires_packages = {"spacy": "nlp"}
    stats = {"fineweb_lines": pa.int64(), "line_punct_ratio": pa.float64(),
             "short_line_ratio": pa.float64(), "char_dup_ratio": pa.float64(),
             "list_ratio": pa.float64()}

    class Params(OpParams):
        line_punct_thr: float = Field(0.12, description="Smallest share of lines ending in "
                                      "terminal punctuation.")
        line_punct_exclude_zero: bool = Field(False, description="Keep documents where no "
                                              "line ends in terminal punctuation.")
        stop_chars: Optional[list[str]] = Field(None, description="Line endings that count as "
                                                "terminal punctuation; empty uses datatrove's.")
        short_line_thr: float = Field(0.67, description="Largest share of short lines.")
        short_line_length: int = Field(30, description="Longest line counted as short.")
        char_duplicates_ratio: float = Field(0.01, description="Largest share of characters "
                                             "in repeated lines.")
        new_line_ratio: float = Field(0.3, description="Most newlines per word.")
        language: str = Field("en", description="spaCy language code of the tokenizer.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        params = self.params
        field = self.text_field(text_field)
        text = batch.text(field)
        pieces = pc.split_pattern(text, "\n")
        counts = np.diff(pieces.offsets.to_numpy())
        flat = pieces.flatten()
        blank = pc.equal(kernels.strip_python_whitespace(flat), "").to_numpy(zero_copy_only=False)
        doc = np.repeat(np.arange(len(text)), counts)[~blank]
        lines = flat.filter(pa.array(~blank))
        n_lines = np.bincount(doc, minlength=len(text))
        stop = params.stop_chars or sorted(kernels.asset_chars("datatrove_terminal_punctuation.txt"))
        ends = pc.match_substring_regex(lines, f"(?:{'|'.join(_escape(s) for s in stop)})$")
        short = pc.less_equal(pc.utf8_length(lines), params.short_line_length)
        _, dup_chars = heuristics.duplicated(heuristics.Pieces(lines, doc, len(text)))
        newlines = kernels.count_matches(text, "\n")
        return {
            "fineweb_lines": pa.array(n_lines.astype(np.int64)),
            "line_punct_ratio": pa.array(kernels.safe_ratio(_per_doc(doc, ends, len(text)), n_lines)),
            "short_line_ratio": pa.array(kernels.safe_ratio(_per_doc(doc, short, len(text)), n_lines)),
            "char_dup_ratio": pa.array(kernels.safe_ratio(dup_chars, batch.char_length(field) - newlines)),
            "list_ratio": self._list_ratio(batch, field, text, newlines),
        }

    def _list_ratio(self, batch: Batch, field: str, text: pa.Array, newlines: np.ndarray):
        """Newlines per spaCy word, computed only where it could exceed `new_line_ratio`:
        every whitespace-separated chunk holds at least one token, so newlines / chunks
        bounds the ratio from above, and where that bound passes spaCy is not needed (the
        stat is then null)."""
        chunks = kernels.count_matches(text, f"[^{kernels.char_class(kernels.python_whitespace())}]+")
        needed = kernels.safe_ratio(newlines, chunks) > self.params.new_line_ratio
        ratio = np.full(len(text), np.nan)
        if needed.any():
            rows = np.flatnonzero(needed)
            tokens = segmenters.word_tokens(text.take(pa.array(rows)), self.params.language)
            ratio[rows] = kernels.safe_ratio(newlines[rows], tokens.per_document())
        return pa.array(ratio, mask=np.isnan(ratio))

    def rules(self):
        p = self.params
        return [
            Rule("empty", "fineweb_lines", ">", 0),
            # datatrove drops only on a value beyond the threshold: a missing ratio passes
            bound("line_punct_ratio", "line_punct_ratio", ">=", p.line_punct_thr,
                  param="line_punct_thr", nan="pass",
                  exempt=(lambda v: v == 0) if p.line_punct_exclude_zero else None),
            bound("short_line_ratio", "short_line_ratio", "<=", p.short_line_thr,
                  param="short_line_thr", nan="pass"),
            bound("char_dup_ratio", "char_dup_ratio", "<=", p.char_duplicates_ratio,
                  param="char_duplicates_ratio", nan="pass"),
            bound("list_ratio", "list_ratio", "<=", p.new_line_ratio,
                  param="new_line_ratio", nan="pass"),
        ]


def _escape(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):X}}}" for c in chars)


def _per_doc(doc: np.ndarray, flags: pa.Array, count: int) -> np.ndarray:
    return np.bincount(doc[flags.to_numpy(zero_copy_only=False)], minlength=count)
