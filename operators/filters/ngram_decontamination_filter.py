from __future__ import annotations

import gzip
import json
import os
import re

import numpy as np
import pyarrow as pa
from pydantic import Field, field_validator

from juicer.core.batch import Batch
from juicer.errors import JuicerError
from juicer.core.operator import Filter, FilterParams, Rule
from juicer.core.rules import bound
from juicer.text.shingles import shingle_hashes

_NON_WORD = re.compile(r"[\W_]+")


class NgramDecontaminationFilter(Filter):
    """Drop documents that share word n-grams (13 by default, as in GPT-3's decontamination)
    with a benchmark: the test sets a model will be evaluated on must not be in its
    training data. Texts are compared lowercased with punctuation removed; texts shorter
    than n words have no n-grams. The benchmark is a JSONL (.gz), JSON, Parquet or text file
    (one text per line) read once per worker."""

    name = "ngram_decontamination_filter"
    stats = {"benchmark_ngrams": pa.int64()}

    class Params(FilterParams):
        benchmark_path: str = Field(
            ..., description="Benchmark file; relative paths are relative to the recipe.")
        benchmark_fields: list[str] = Field(
            ["text"], min_length=1,
            description="Fields of each benchmark record whose texts are checked (JSONL, JSON, "
            "Parquet); a text file has one text per line.")
        n: int = Field(13, ge=1, description="Words per n-gram.")
        max_overlap: int = Field(
            0, ge=0, description="Most benchmark n-grams a kept document may contain.")

        @field_validator("benchmark_path")
        @classmethod
        def _exists(cls, value: str) -> str:
            if not os.path.isfile(value):
                raise ValueError(f"benchmark file '{value}' does not exist")
            return value

    def setup(self) -> None:
        texts = load_texts(self.params.benchmark_path, self.params.benchmark_fields)
        shingles = shingle_hashes([normalize(t) for t in texts], "space", self.params.n,
                                  whole_if_short=False)
        self.benchmark = np.unique(shingles.hashes)

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        texts = batch.text(self.text_field(text_field)).to_pylist()
        shingles = shingle_hashes([normalize(t) for t in texts], "space", self.params.n,
                                  whole_if_short=False)
        # distinct n-grams per document that the benchmark has
        pairs = np.unique(np.stack([shingles.doc, shingles.hashes.view(np.int64)], axis=1),
                          axis=0) if len(shingles.doc) else np.zeros((0, 2), np.int64)
        found = np.isin(pairs[:, 1].view(np.uint64), self.benchmark)
        counts = np.bincount(pairs[found, 0], minlength=len(texts))
        return {"benchmark_ngrams": pa.array(counts.astype(np.int64))}

    def rules(self) -> list[Rule]:
        return [bound("contaminated", "benchmark_ngrams", "<=", self.params.max_overlap,
                      param="max_overlap")]


def normalize(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower())


def load_texts(path: str, fields: list[str]) -> list[str]:
    """Every text of the benchmark file."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        missing = [f for f in fields if f not in table.column_names]
        if missing:
            raise JuicerError(f"{path}: no field {missing[0]!r}; fields: "
                              f"{', '.join(table.column_names)}")
        return [t for f in fields for t in table.column(f).to_pylist() if isinstance(t, str)]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if ".txt" in os.path.basename(path):
            return [line.rstrip("\n") for line in handle if line.strip()]
        if path.endswith((".json", ".json.gz")):
            records = json.load(handle)
            records = records if isinstance(records, list) else [records]
        else:
            records = []
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise JuicerError(f"{path}, line {number}: not JSON ({exc.msg})") from None
    return [record[f] for record in records if isinstance(record, dict)
            for f in fields if isinstance(record.get(f), str)]
