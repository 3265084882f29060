"""The recipe model: input, output and executor sections, steps with their built operators
and resources, sizes such as "64MB"; pydantic validates every field."""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from juicer._version import __version__
from juicer.core.operator import Operator
from juicer.io import fs

_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(value: Union[int, str]) -> int:
    """'64MB', '1GiB' or a plain number of bytes."""
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().replace(" ", "")
    number = text.rstrip("KMGIB")
    unit = text[len(number):]
    try:
        return int(float(number) * _SIZE_UNITS[unit])
    except (ValueError, KeyError, OverflowError):  # OverflowError: inf
        raise ValueError(f"'{value}' is not a size; write e.g. 64MB, 512KiB or 1000000") from None


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(_Section):
    paths: list[str] = Field(description="Files, directories or globs (.jsonl, .json, "
                             ".parquet, .arrow, .csv, .tsv, .txt, .warc, .wet; JSONL, CSV and "
                             "text also .gz/.zst; a Hugging Face save_to_disk folder).")
    text_field: str = Field("text", description="Field holding each document's text, or a "
                            "path into the record such as messages[-1].content.")
    text_unit: Literal["file", "line"] = Field(
        "file", description="What one document is in a plain-text (.txt) input: the whole "
        "file, or each line that holds more than whitespace.")
    shard_size: int = Field(32 * 10**6, gt=0, description="Bytes of input per work unit "
                            "(big files are split, small ones grouped).")
    batch_size: int = Field(2048, gt=0, description="Documents per Arrow batch inside a work unit.")
    strict: bool = Field(False, description="Stop at the first unreadable record instead of "
                         "quarantining it.")
    max_document_bytes: int = Field(
        10 * 10**6, gt=0, description="Documents whose text is longer (UTF-8 bytes) go to "
        "quarantine instead of through the operators (e.g. 10MB).")

    @field_validator("paths", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("shard_size", "max_document_bytes", mode="before")
    @classmethod
    def _size(cls, value):
        return parse_size(value)


class OutputSpec(_Section):
    path: str = Field(description="Directory that receives data/, dropped/, quarantine/ and reports.")
    format: Literal["parquet", "jsonl", "arrow"] = Field(
        "parquet", description="File format of the outputs (arrow: Arrow IPC files).")
    shard_rows: int = Field(100_000, gt=0, description="Documents per output file.")
    keep_stats: bool = Field(False, description="Keep the __stats__ column in data/.")
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet compression.")
    staging: Optional[str] = Field(
        None, description="When path is a URL (s3://...): where the run is built before it "
        "is published, and from which an interrupted run resumes: a local or shared folder "
        "(default: ~/.cache/juicer/staging/<hash of the URL>, or $JUICER_STAGING), or a URL "
        "on the same store, so that workers on several machines need no shared filesystem.")
    group_by: Optional[list[str]] = Field(
        None, description="Fields whose values the report breaks the drop rates down by "
        "(e.g. [source, lang]; a dotted path reads a nested field). Default: those of "
        "source, lang, language, domain, dataset, subset that the data has; [] for none.")
    count_tokens: Optional[str] = Field(
        None, description="Tokenizer whose token counts of the input and of the kept "
        "documents the report shows (cl100k_base, o200k_base, a tokenizer.json or "
        "SentencePiece .model path; extra models). Off by default: it tokenizes the input "
        "and the output once more.")

    @model_validator(mode="after")
    def _staging_needs_a_url(self):
        if self.staging and not fs.is_url(self.path):
            raise ValueError("staging applies only when path is a URL (s3://...); a local "
                             "path is built in place")
        return self


class ExecutorSpec(_Section):
    kind: Literal["local", "dask", "ray"] = Field("local", description="Where work runs.")
    workers: Optional[int] = Field(None, ge=1, description="Worker processes (default: CPU count).")
    address: Optional[str] = Field(None, description="Cluster address for dask/ray.")
    partitions: Optional[int] = Field(
        None, ge=1, le=65536,
        description="Reduce partitions of a global step (dedup, selectors): each reduce task "
                    "holds one partition's signatures. Default: one per shard up to 64, and "
                    "one per 2 GB of input beyond 128 GB. The output does not depend on it.")


class Resources(_Section):
    """What one task running a step needs on a cluster (Ray and Dask schedule by it; the
    local executor runs `workers` tasks at a time whatever they ask)."""

    cpus: float = Field(1, gt=0, description="CPU cores per task.")
    gpus: float = Field(0, ge=0, description="GPUs per task (model operators).")
    memory: Optional[int] = Field(None, gt=0, description="Memory per task, e.g. 4GB (Ray "
                                  "reserves it; Dask needs workers started with "
                                  "--resources MEMORY=<bytes>).")

    @field_validator("memory", mode="before")
    @classmethod
    def _size(cls, value):
        return None if value is None else parse_size(value)

    def is_default(self) -> bool:
        return self == Resources()


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    op: str
    id: str
    params: dict[str, Any]
    operator: Operator = Field(exclude=True)
    resources: Resources = Resources()


class Recipe(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    source: str = "<recipe>"
    input: InputSpec
    output: OutputSpec
    executor: ExecutorSpec = ExecutorSpec()
    pipeline: list[Step]
    on_error: Literal["quarantine", "raise"] = "quarantine"
    notes: list[str] = []
    # how it was written: calibrate edits the file itself only when it is Juicer's layout
    # and no --set changed it
    layout: Literal["juicer", "data_juicer"] = "juicer"
    overrides: list[str] = []

    def resolved(self) -> dict[str, Any]:
        """The recipe with every default filled, as written to recipe.resolved.yaml."""
        return {
            "juicer_version": __version__,
            "input": self.input.model_dump(),
            "output": self.output.model_dump(),
            "executor": self.executor.model_dump(),
            "on_error": self.on_error,
            "pipeline": [{"op": s.op, "id": s.id, "params": s.params,
                          **({} if s.resources.is_default() else
                             {"resources": s.resources.model_dump(exclude_none=True)})}
                         for s in self.pipeline],
        }

    @property
    def kept_text_field(self) -> str:
        """Where the kept documents' text is: input.text_field, unless a step moved it."""
        return final_text_field(self.pipeline, self.input.text_field)

    def to_yaml(self, extra: Optional[dict] = None) -> str:
        data = self.resolved()
        data.update(extra or {})
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def final_text_field(steps: list[Step], text_field: str) -> str:
    for step in steps:
        text_field = step.operator.text_key_after() or text_field
    return text_field
