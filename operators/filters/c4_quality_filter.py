from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.text import c4
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams, Rule
from juicer.core.rules import bound


class C4Params(OpParams):
    """datatrove's C4QualityFilter options (line rules; `split_paragraph` true only)."""

    remove_citations: bool = Field(True, description="Remove Wikipedia citations "
                                   "([1], [edit], [citation needed]).")
    filter_no_terminal_punct: bool = Field(True, description="Drop lines not ending in . ? ! \" "
                                           "' (or ending in ...).")
    min_words_per_line: int = Field(3, description="Drop lines with fewer words (-1: off).")
    max_word_length: int = Field(1000, description="Drop lines with a longer word (-1: off).")
    filter_lorem_ipsum: bool = Field(True, description="\"lorem ipsum\" in a line drops the "
                                     "document.")
    filter_javascript: bool = Field(True, description="Drop lines mentioning javascript.")
    filter_curly_bracket: bool = Field(True, description="A `{` in a line drops the document.")
    filter_policy: bool = Field(True, description="Drop lines about cookies or terms of use.")


class C4QualityFilter(Filter):
    """C4's cleaning rules (Raffel et al. 2020), deciding and cleaning exactly as datatrove's
    C4QualityFilter with the same parameters: the line rules of juicer/text/c4.py remove lines
    from kept documents; "lorem ipsum" (`lorem_ipsum`) or a curly bracket (`curly_bracket`)
    in a line that passed the earlier rules drops the document; so do fewer than
    `min_num_sentences` sentences in the kept lines (`too_few_sentences`; sentences as
    spaCy's rule-based sentencizer splits them, extra `nlp`). Dropped documents keep their
    text; kept ones get the cleaned text. Every kept line holds a sentence, so sentences are
    counted only in documents with fewer kept lines than `min_num_sentences`; elsewhere the
    `c4_sentences` stat is null (it passes)."""

    name = "c4_quality_filter"
    requires_packages = {"spacy": "nlp"}
    stats = {"c4_lorem_ipsum": pa.bool_(), "c4_curly_bracket": pa.bool_(),
             "c4_sentences": pa.int64(), "c4_lines": pa.int64(), "c4_kept_lines": pa.int64()}

    class Params(C4Params):
        min_num_sentences: int = Field(5, description="Fewest sentences in the kept lines "
                                       "(-1: off).")
        language: str = Field("en", description="spaCy language code of the sentencizer.")

    def compute(self, batch: Batch, text_field: str):
        lines = c4.evaluate(batch.text(self.text_field(text_field)), self.params)
        lorem = lines.first_lorem_line < lines.first_curly_line
        curly = lines.first_curly_line < lines.first_lorem_line
        kept_lines = np.bincount(lines.doc[lines.kept], minlength=lines.count)
        sentences = np.full(lines.count, -1, dtype=np.int64)
        if self.params.min_num_sentences != -1:
            # every kept line holds a sentence: only documents with fewer kept lines than
            # the minimum need their sentences counted
            wanted = ~(lorem | curly) & (kept_lines < self.params.min_num_sentences)
            sentences[wanted] = c4.sentence_counts(lines, self.params.language, wanted)[wanted]
        stats = {"c4_lorem_ipsum": pa.array(lorem), "c4_curly_bracket": pa.array(curly),
                 "c4_sentences": pa.array(sentences, mask=sentences < 0),
                 "c4_lines": pa.array(np.bincount(lines.doc, minlength=lines.count)),
                 "c4_kept_lines": pa.array(kept_lines)}
        return stats, lines.text()

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        return self.compute(batch, text_field)[0]

    def rules(self):
        rules = [Rule("lorem_ipsum", "c4_lorem_ipsum", "is", False, lambda v: ~v.astype(bool)),
                 Rule("curly_bracket", "c4_curly_bracket", "is", False, lambda v: ~v.astype(bool))]
        minimum = self.params.min_num_sentences
        if minimum != -1:
            # a document too long to split into sentences (no count) is not dropped for it
            rules.append(bound("too_few_sentences", "c4_sentences", ">=", minimum,
                               param="min_num_sentences", nan="pass"))
        return rules
