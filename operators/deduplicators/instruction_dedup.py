from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from juicer.core.fields import column_of
from juicer_operators.deduplicators.document_minhash_deduplicator import (
    DocumentMinhashDeduplicator)

# the prompt of each instruction layout: what two records must share to be duplicates
PROMPT_PATHS = {"alpaca": "instruction", "sharegpt": "conversations[from=human][0].value",
                "messages": "messages[role=user][0].content", "query_response": "query"}


class InstructionDedup(DocumentMinhashDeduplicator):
    """Drop instruction records whose prompt repeats an earlier one, exactly or nearly: the
    first user turn (`messages[role=user][0].content`, `conversations[from=human][0].value`),
    Alpaca's `instruction` or `query`, whatever the answers. It is
    document_minhash_deduplicator with settings for short prompts (word 3-grams, lowercase,
    Jaccard 0.8, every candidate verified), so identical prompts are always found (their
    shingle sets are equal) and reworded ones too (a word added, or one changed in a prompt of 30 words or more).
    A system message does not count as the prompt, so records that share one are not
    duplicates for it.

    The layout is taken from the recipe's text field (a path into `messages` or
    `conversations`, `query`, else Alpaca) unless `layout` names it; `text_key` overrides
    the prompt's path altogether. Each cluster keeps its first record."""

    name = "instruction_dedup"

    class Params(DocumentMinhashDeduplicator.Params):
        layout: Optional[Literal["alpaca", "sharegpt", "messages", "query_response"]] = Field(
            None, description="Layout of the records (none: from the recipe's text field).")
        window_size: int = Field(3, ge=1, description="Words per shingle (prompts are short).")
        jaccard_threshold: float = Field(0.8, ge=0, le=1, description="Minimum Jaccard "
                                         "similarity of the prompts of near-duplicates.")
        num_permutations: int = Field(128, ge=1, le=8192, description="MinHash permutations.")

    @classmethod
    def params_after_move(cls, params: dict, moved_text: str) -> dict:
        if params.get("text_key") or params.get("layout"):
            return params
        return {**params, "layout": _layout_of(moved_text)}

    def text_field(self, default: str) -> str:
        if self.params.text_key:
            return self.params.text_key
        return PROMPT_PATHS[self.params.layout or _layout_of(default)]


def _layout_of(text_field: str) -> str:
    root = column_of(text_field, ())
    return {"messages": "messages", "conversations": "sharegpt",
            "query": "query_response"}.get(root, "alpaca")
