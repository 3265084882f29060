from __future__ import annotations

from typing import Literal, Optional

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.core.batch import Batch
from juicer.core.fields import with_text
from juicer.core.operator import Mapper
from juicer.models.llm import Answer, LLMClient, parse_structured
from juicer_operators.llm_common import (InvalidAnswers, LLMParams, conversation, field_texts,
                                         fields_of, render)

_TYPES = {"string": pa.string(), "number": pa.float64(), "integer": pa.int64(),
          "boolean": pa.bool_()}


class LLMMapper(Mapper):
    """Ask a language model about each document with a prompt template over its fields,
    and write the answer into the record: as text into `output_key` (a new field, or the
    text field itself to rewrite it), or, with `output_fields`, as a JSON object whose
    values go into one field each, typed.

    `prompt` names fields in braces: `{text}`, `{meta.title}`, `{messages[-1].content}`
    (`{{` for a literal brace). The endpoint is the recipe's `llm:` section; answers are
    cached in the run's output folder, so a resumed or repeated run asks nothing twice.
    An answer that is missing, not JSON or off-schema is quarantined with its reason, or
    written as null (`on_invalid: null`); the record's other fields are never touched.
    See docs/models.md, "LLM operators"."""

    name = "llm_mapper"

    class Params(LLMParams):
        prompt: str = Field(description="The user message, a template over the record's "
                            "fields: 'Summarize in one sentence: {text}'.")
        output_key: str = Field("llm_output", description="Field that receives a text "
                                "answer (the text field itself to rewrite the text).")
        output_fields: Optional[dict[str, Literal["string", "number", "integer", "boolean"]]] = \
            Field(None, description="Ask for a JSON object with these fields and types "
                  "(name: string|number|integer|boolean), each written to its own field.")
        on_invalid: Literal["quarantine", "null"] = Field(
            "quarantine", description="A document whose answer cannot be used: quarantine "
            "it with the reason, or write null into the output fields.")

        @model_validator(mode="after")
        def _check(self):
            if not fields_of(self.prompt):
                raise ValueError("the prompt names no field: put the text in with {text}")
            return self

    def setup(self) -> None:
        self.client = LLMClient(self.params.llm)
        fields = self.params.output_fields
        self.schema = None if not fields else {
            "type": "object", "required": list(fields),
            "properties": {name: {"type": kind} for name, kind in fields.items()}}

    def system_prompt(self) -> str:
        if self.params.system_prompt:
            return self.params.system_prompt
        if self.schema is None:
            return "Answer with the requested text only."
        shape = ", ".join(f'"{name}": <{kind}>' for name, kind in self.params.output_fields.items())
        return "Answer with one JSON object and nothing else: {" + shape + "}"

    def process(self, batch: Batch, text_field: str) -> pa.Table:
        self.ensure_setup()
        texts = field_texts(batch, fields_of(self.params.prompt), self.text_field(text_field))
        prompts = [conversation(self.system_prompt(), self.params.examples,
                                render(self.params.prompt, batch.table, texts, i))
                   for i in range(len(batch))]
        answers = self.client.ask(prompts, self.schema)
        values, problems = self._values(answers)
        if problems and self.params.on_invalid == "quarantine":
            raise InvalidAnswers(problems)
        table = batch.table
        if self.schema is None:
            return _put(table, self.params.output_key, pa.array(values[self.params.output_key],
                                                                  pa.string()))
        for name, kind in self.params.output_fields.items():
            table = _put(table, name, pa.array(values[name], _TYPES[kind]))
        return table

    def _values(self, answers: list[Answer]) -> tuple[dict[str, list], list[str]]:
        names = list(self.params.output_fields or [self.params.output_key])
        values: dict[str, list] = {name: [] for name in names}
        problems = []
        for answer in answers:
            if self.schema is None:
                problem = answer.error or ("the answer was cut at max_tokens"
                                           if answer.finish_reason == "length" else None)
                parsed = None if problem else {self.params.output_key: answer.content}
            else:
                parsed, problem = parse_structured(answer, self.schema)
            if problem:
                problems.append(problem)
            for name in names:
                values[name].append(None if parsed is None else parsed[name])
        return values, problems


def _put(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    """A field set to `values`: a path or existing text column in place, else a new column."""
    if name in table.column_names:
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            return with_text(table, name, values)
        return table.set_column(table.column_names.index(name), name, values)
    if "." in name or "[" in name:
        return with_text(table, name, values)
    return table.append_column(name, values)
