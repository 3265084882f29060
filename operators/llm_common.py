"""What the operators that ask a language model share: the `llm` endpoint param (filled
from the recipe's `llm:` section), prompts built from a template over fields with few-shot
examples, and what happens to a document whose answer cannot be used."""
from __future__ import annotations

import json
import re
from typing import Any, Literal, Optional, Union

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from juicer.core.batch import Batch
from juicer.core.fields import text_values
from juicer.core.operator import OpParams
from juicer.models.llm import LLMSettings

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")


class Example(BaseModel):
    """A few-shot example: what the model is shown, and the answer it should give."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str = Field(description="The user message of the example (the rendered prompt).")
    output: Union[str, dict[str, Any]] = Field(description="The answer: text, or the JSON "
                                               "object a structured answer holds.")


class LLMParams(OpParams):
    """Params every LLM operator takes."""

    llm: LLMSettings = Field(description="The endpoint: base_url, model, api_key_env, "
                             "params, concurrency, limits, cache (the recipe's `llm:` "
                             "section fills it; the step's own keys win).")
    system_prompt: Optional[str] = Field(None, description="The system message; empty uses "
                                         "the operator's own.")
    examples: list[Example] = Field(default_factory=list, description="Few-shot examples, "
                                    "sent as user/assistant turns before each document.")
    on_invalid: Literal["drop", "quarantine"] = Field(
        "drop", description="A document whose answer is missing, not JSON or off-schema: "
        "drop it with the reason `invalid_answer` (filters), or quarantine it with the "
        "error (both: nothing is lost, and the run goes on).")


def render(template: str, table: pa.Table, row_texts: dict[str, list[str]], index: int) -> str:
    """`template` with each `{field}` (a column or a path such as `meta.title`) replaced by
    that field of row `index`; `{{` and `}}` are literal braces."""
    def value(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        return row_texts[match.group(1).strip()][index]

    return _PLACEHOLDER.sub(value, template)


def fields_of(template: str) -> list[str]:
    return [m.group(1).strip() for m in _PLACEHOLDER.finditer(template) if m.group(1)]


def field_texts(batch: Batch, names: list[str], text_field: str) -> dict[str, list[str]]:
    """The values of the fields a template names, as strings ('' where absent); `text`
    is the step's text field."""
    texts = {}
    for name in dict.fromkeys(names):
        field = text_field if name == "text" and "text" not in batch.table.column_names else name
        values = text_values(batch.table, field).to_pylist()
        texts[name] = ["" if v is None else v if isinstance(v, str) else json.dumps(v)
                       for v in values]
    return texts


def conversation(system: str, examples: list[Example], prompt: str) -> list[dict]:
    messages = [{"role": "system", "content": system}] if system else []
    for example in examples:
        answer = example.output if isinstance(example.output, str) else \
            json.dumps(example.output, ensure_ascii=False)
        messages += [{"role": "user", "content": example.input},
                     {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": prompt}]


class InvalidAnswers(ValueError):
    """Raised on a batch with unusable answers under on_invalid: quarantine; the engine then
    retries document by document (answers come from the cache) and quarantines each one
    with its own reason."""

    def __init__(self, problems: list[str]):
        shown = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        super().__init__(f"unusable LLM answer: {shown}")
