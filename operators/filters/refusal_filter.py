from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import Filter, FilterParams, Rule

# openings and disclaimers of answers that decline or talk about the model instead of
# answering (the phrases instruction-tuning cleanups such as Alpaca-cleaned and
# WizardLM's "unfiltered" sets remove)
DEFAULT_PHRASES = [
    "as an ai language model", "as an ai model", "as a language model", "as an ai assistant",
    "i'm sorry, but i cannot", "i'm sorry, but i can't", "i am sorry, but i cannot",
    "i cannot fulfill", "i can't fulfill", "i cannot provide", "i can't provide",
    "i'm unable to", "i am unable to", "i cannot assist", "i can't assist",
    "i apologize, but", "it is not appropriate", "it's not appropriate",
    "i don't have personal opinions", "i do not have personal opinions",
    "openai's content policy", "against my programming",
]


class RefusalFilter(Filter):
    """Drop instruction records whose answer refuses or disclaims ("As an AI language
    model", "I'm sorry, but I cannot", ...): one of `phrases`, matched case-insensitively
    anywhere in the answer. The answer is found as in response_length_filter (last
    message, `output` or `response`) unless `text_key` names it. Matched by RE2 over the
    whole batch."""

    name = "refusal_filter"
    stats = {"refusal": pa.bool_()}

    class Params(FilterParams):
        phrases: list[str] = Field(default_factory=lambda: list(DEFAULT_PHRASES),
                                   min_length=1, description="Phrases (any case) that mark "
                                   "a refusal.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        from juicer.corpus.instruct import answer_field

        field = self.params.text_key or answer_field(batch.table.column_names,
                                                          self.text_field(text_field))
        pattern = "|".join(re.escape(phrase.lower()) for phrase in self.params.phrases)
        # curly apostrophes, as models often write them, count as straight ones
        text = pc.replace_substring(pc.utf8_lower(batch.text(field)), "\u2019", "'")
        return {"refusal": pc.match_substring_regex(text, pattern)}

    def rules(self):
        return [Rule("refusal", "refusal", "==", False, lambda values: ~values.astype(bool))]
