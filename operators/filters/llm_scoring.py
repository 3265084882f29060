"""What the LLM score filters share: the model rates each document on a few dimensions
(1 to 5) and answers JSON; the document's score is the mean of the required dimensions
divided by 5 (Data-Juicer's scale: 0.2 to 1.0), kept when it lies in [min_score,
max_score]. A document whose answer cannot be used is dropped as `invalid_answer` or
quarantined (`on_invalid`)."""
from __future__ import annotations

from typing import ClassVar, Optional

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from juicer.core.batch import Batch
from juicer.core.operator import Filter, FilterParams, check_min_max, range_rules
from juicer.core.rules import Rule
from juicer.models.llm import LLMClient, parse_structured
from juicer_operators.llm_common import (InvalidAnswers, LLMParams, conversation, field_texts,
                                         render)


class LLMScoreParams(LLMParams, FilterParams):
    input_keys: Optional[list[str]] = Field(None, description="Fields shown to the model "
                                            "(columns or paths); default: the text field.")
    field_names: Optional[list[str]] = Field(None, description="How each input key is "
                                             "titled in the prompt; default: the keys.")
    field_template: str = Field("## {field_name}\n{field_data}", description="One field in "
                                "the prompt ({field_name}, {field_data}).")
    input_template: str = Field("Rate this sample.\n\n{data}", description="The user "
                                "message; {data} is the fields, each through field_template.")
    dim_required_keys: Optional[list[str]] = Field(None, description="The dimensions the "
                                                   "score averages; default: all of them.")
    min_score: float = Field(0.5, ge=0, le=1, description="Lowest score kept.")
    max_score: float = Field(1.0, ge=0, le=1, description="Highest score kept.")

    @model_validator(mode="after")
    def _check(self):
        check_min_max(self, "min_score", "max_score")
        if self.field_names is not None and len(self.field_names) != len(self.input_keys or []):
            raise ValueError("field_names needs one name per input key")
        return self


class LLMScoreFilter(Filter):
    """Base of the LLM score filters; a subclass names its stat, dimensions and prompt."""

    score_stat: ClassVar[str] = ""
    dimensions: ClassVar[tuple[str, ...]] = ()
    default_system_prompt: ClassVar[str] = ""

    @classmethod
    def describe(cls) -> dict:
        entry = super().describe()
        # its rules do not depend on the endpoint, which has no default
        placeholder = cls(llm={"base_url": "http://localhost/v1", "model": "any"})
        entry["rules"] = [rule.name for rule in placeholder.rules()] + ["reversed_range"]
        return entry

    def setup(self) -> None:
        unknown = set(self.params.dim_required_keys or ()) - set(self.dimensions)
        if unknown:
            from juicer.errors import JuicerError

            raise JuicerError(f"{self.name}: dim_required_keys {sorted(unknown)} are not among "
                              f"its dimensions ({', '.join(self.dimensions)})")
        self.client = LLMClient(self.params.llm)
        self.schema = {
            "type": "object", "required": ["dimension_scores"],
            "properties": {
                "dimension_scores": {
                    "type": "object", "required": list(self.dimensions),
                    "properties": {d: {"type": "number", "minimum": 1, "maximum": 5}
                                   for d in self.dimensions}},
                "rationale": {"type": "string"},
                "flags": {"type": "array", "items": {"type": "string"}}}}

    def system_prompt(self) -> str:
        if self.params.system_prompt:
            return self.params.system_prompt
        dims = ", ".join(self.dimensions)
        return (f"{self.default_system_prompt}\n\nScore the sample from 1 (worst) to 5 (best) "
                f"on each of: {dims}. Answer with one JSON object and nothing else: "
                '{"dimension_scores": {' + ", ".join(f'"{d}": <1-5>' for d in self.dimensions)
                + '}, "rationale": "<one sentence>", "flags": [<short issue names>]}')

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        keys = self.params.input_keys or [self.text_field(text_field)]
        titles = self.params.field_names or keys
        texts = field_texts(batch, keys, text_field)
        field_part = "\n\n".join(self.params.field_template.replace("{field_name}", title)
                                 .replace("{field_data}", "{" + key + "}")
                                 for key, title in zip(keys, titles))
        template = self.params.input_template.replace("{data}", field_part)
        prompts = [conversation(self.system_prompt(), self.params.examples,
                                render(template, batch.table, texts, i)) for i in range(len(batch))]
        answers = self.client.ask(prompts, self.schema)
        required = self.params.dim_required_keys or list(self.dimensions)
        scores = np.full(len(batch), np.nan)
        problems = []
        for index, answer in enumerate(answers):
            value, problem = parse_structured(answer, self.schema)
            if problem:
                problems.append(problem)
                continue
            dims = value["dimension_scores"]
            scores[index] = float(np.mean([dims[d] for d in required])) / 5
        if problems and self.params.on_invalid == "quarantine":
            raise InvalidAnswers(problems)
        return {self.score_stat: pa.array(scores, pa.float64(), mask=np.isnan(scores))}

    def rules(self) -> list[Rule]:
        valid = Rule("invalid_answer", self.score_stat, "is", "a usable answer",
                     check=lambda values: ~np.isnan(np.asarray(values, dtype=float)))
        return [valid, *range_rules(self.params, self.score_stat, "min_score", "max_score")]
