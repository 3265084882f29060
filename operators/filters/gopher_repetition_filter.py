from __future__ import annotations

from typing import Literal, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.text import heuristics, kernels, segmenters, shingles, words
from juicer.text.heuristics import Pieces
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams, Rule
from juicer.text.shingles import span_hashes
from juicer_operators.filters.gopher_quality_filter import threshold_rule

TOP_N_GRAMS = [(2, 0.2), (3, 0.18), (4, 0.16)]
DUP_N_GRAMS = [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)]


class GopherRepetitionFilter(Filter):
    """Gopher's repetition rules (Rae et al. 2021, table A1), deciding exactly as datatrove's
    GopherRepetitionFilter with the same parameters.

    In order, a document is dropped when: it is empty; the share of its paragraphs (split on
    two or more line breaks) that repeat an earlier one exceeds `dup_para_frac`, or their
    characters' share of the text exceeds `dup_para_char_frac`; the same for lines (split
    on line breaks) with `dup_line_frac` and `dup_line_char_frac`; for each (n, share) of
    `top_n_grams`, the most frequent word n-gram's characters (times its count) exceed that
    share of the text; for each (n, share) of `dup_n_grams`, the characters of repeated word
    n-grams (counted left to right, skipping past each repeat) exceed that share. Words are
    spaCy's tokens (extra `nlp`). Drop reasons are datatrove's (`dup_line_frac`,
    `top_2_gram`, `duplicated_5_n_grams`, ...). As in datatrove, repeated n-grams are
    compared by their tokens concatenated without spaces (`dup_ngram_keys: tokens` compares
    token by token); the most frequent n-gram by its tokens joined with spaces."""

    name = "gopher_repetition_filter"
    requires_packages = {"spacy": "nlp"}
    # (with other n-gram sizes, the stats are named after those sizes)
    stats = {"chars": pa.int64(), "dup_para_frac": pa.float64(),
             "dup_para_char_frac": pa.float64(), "dup_line_frac": pa.float64(),
             "dup_line_char_frac": pa.float64(),
             **{f"top_{n}_gram": pa.float64() for n, _ in TOP_N_GRAMS},
             **{f"duplicated_{n}_n_grams": pa.float64() for n, _ in DUP_N_GRAMS}}

    class Params(OpParams):
        dup_line_frac: Optional[float] = Field(0.3, description="Largest share of repeated lines.")
        dup_para_frac: Optional[float] = Field(0.3, description="Largest share of repeated "
                                               "paragraphs.")
        dup_line_char_frac: Optional[float] = Field(
            0.2, description="Largest share of the text in repeated lines.")
        dup_para_char_frac: Optional[float] = Field(
            0.2, description="Largest share of the text in repeated paragraphs.")
        top_n_grams: list[tuple[int, float]] = Field(
            TOP_N_GRAMS, description="(n, share): the most frequent n-gram's characters may "
            "cover at most this share of the text.")
        dup_n_grams: list[tuple[int, float]] = Field(
            DUP_N_GRAMS, description="(n, share): repeated n-grams' characters may cover at "
            "most this share of the text.")
        language: str = Field("en", description="spaCy language code of the tokenizer.")
        dup_ngram_keys: Literal["joined", "tokens"] = Field(
            "joined", description="When two n-grams are the same for `dup_n_grams`: `joined`, "
            "their tokens concatenated without spaces are equal (datatrove 0.10's "
            "find_all_duplicate: `ab c` repeats `a bc`), or `tokens`, token by token.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        field = self.text_field(text_field)
        text = batch.text(field)
        chars = batch.char_length(field)
        stats = {"chars": chars}
        paragraphs, para_chars = heuristics.duplicated(Pieces.from_lists(
            pc.split_pattern_regex(kernels.strip_python_whitespace(text), r"\n{2,}")))
        lines, line_chars = heuristics.duplicated(
            Pieces.from_lists(pc.split_pattern_regex(text, r"\n+")))
        stats["dup_para_frac"], stats["dup_para_char_frac"] = paragraphs, kernels.safe_ratio(para_chars, chars)
        stats["dup_line_frac"], stats["dup_line_char_frac"] = lines, kernels.safe_ratio(line_chars, chars)
        tokens = segmenters.of_batch(batch, field, self.params.language)
        cps, offsets = segmenters.per_token_code_points(tokens)
        token_hash = span_hashes(cps, offsets[:-1], offsets[1:])
        token_length = np.diff(offsets)
        for n, _ in self.params.top_n_grams:
            stats[f"top_{n}_gram"] = kernels.safe_ratio(
                words.top_ngram_chars(tokens.doc, token_hash, token_length, n, tokens.count, spaces=True), chars)
        joined = self.params.dup_ngram_keys == "joined"
        for n, _ in self.params.dup_n_grams:
            stats[f"duplicated_{n}_n_grams"] = kernels.safe_ratio(_repeated_ngram_chars(
                tokens.doc, token_hash, token_length, n, tokens.count,
                (cps, offsets) if joined else None), chars)
        return {name: pa.array(values) for name, values in stats.items()}

    def rules(self):
        p = self.params
        rules = [Rule("empty", "chars", ">", 0)]
        for name in ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac"):
            if getattr(p, name):
                rules.append(threshold_rule(name, name, "<=", getattr(p, name), name))
        # a share inside a list parameter is named by its path: top_n_grams.0.1
        rules += [threshold_rule(f"top_{n}_gram", f"top_{n}_gram", "<=", share,
                                 f"top_n_grams.{index}.1")
                  for index, (n, share) in enumerate(p.top_n_grams)]
        rules += [threshold_rule(f"duplicated_{n}_n_grams", f"duplicated_{n}_n_grams", "<=", share,
                                 f"dup_n_grams.{index}.1")
                  for index, (n, share) in enumerate(p.dup_n_grams)]
        return rules


def _repeated_ngram_chars(doc, token_hash, token_length, n, count,
                          joined_text=None) -> np.ndarray:
    """Per document: characters (joined without spaces) of the n-grams met again while
    walking left to right, jumping n words past each repeat (datatrove's find_all_duplicate).
    With `joined_text` (the tokens' code points and offsets), an n-gram is keyed by its
    tokens concatenated, as datatrove keys it; else by its token sequence."""
    starts, gram_doc, gram, length = words.ngram_spans(doc, token_hash, token_length, n)
    out = np.zeros(count)
    if len(starts) == 0:
        return out
    if joined_text is not None:  # a document's tokens lie one after another in the buffer
        cps, offsets = joined_text
        gram = span_hashes(cps, offsets[starts], offsets[starts + n])
    # n-grams with no earlier occurrence in their document can never be a repeat
    seen_before = shingles.seen_before(gram_doc, gram)
    bounds = np.searchsorted(gram_doc, np.arange(count + 1))
    for d in np.unique(gram_doc[seen_before]):
        grams, lengths = gram[bounds[d]:bounds[d + 1]].tolist(), length[bounds[d]:bounds[d + 1]]
        unique, repeated, index = set(), 0, 0
        while index < len(grams):
            if grams[index] in unique:
                repeated += int(lengths[index])
                index += n
            else:
                unique.add(grams[index])
                index += 1
        out[d] = repeated
    return out
