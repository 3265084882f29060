"""What a run's tasks are made of: the run context every task shares, the task records the
executors carry to workers, and where in the work folder a task's files go."""
from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import pyarrow as pa

from juicer.core import registry
from juicer.io import fs
from juicer.io.shards import Shard
from juicer.io.partitioned import Segment
from juicer.engine.pipeline import Stage, split_into_stages
from juicer.recipe import Step


@dataclass(frozen=True)
class RunContext:
    """What every task of a run shares, built once by the driver from the recipe."""

    pipeline: str  # the resolved pipeline as JSON: workers rebuild operators from it
    text_field: str
    work_dir: str  # this run's generation under _work/
    partitions: int  # how many partitions a global step's signatures are hashed into
    batch_size: int = 8192
    on_error: str = "quarantine"
    strict: bool = False
    max_document_bytes: int = 10 * 10**6
    observe: bool = False  # juicer analyze: record stats and would-be drops, drop nothing
    sample_rate: Optional[float] = None  # juicer analyze --sample: share of documents read
    count_tokens: Optional[str] = None  # tokenizer for the input and kept token counts
    kept_text_field: Optional[str] = None  # where kept text is, when a step moved it
    output_format: str = "parquet"  # what the outputs are written as (what they can hold)

    @property
    def stages(self) -> list[Stage]:
        """The pipeline's stages, planned once per process and pipeline."""
        return stages_of(self.pipeline)


@dataclass(frozen=True)
class _StageTask:
    run: RunContext
    stage: int

    @property
    def work_dir(self) -> str:
        return self.run.work_dir

    @property
    def global_step(self) -> Step:
        return self.run.stages[self.stage].global_step


@dataclass(frozen=True)
class ShardTask(_StageTask):
    """One shard through one stage."""

    shard: Shard
    # the previous global step's decisions on this shard's rows: (path, offset, length, crc)
    decisions: tuple[Segment, ...] = ()

    @property
    def marker(self) -> str:
        return shard_dir(self.work_dir, self.stage, self.shard.index) + ".done.json"


@dataclass(frozen=True)
class ReduceTask(_StageTask):
    """A global step's reduce over one partition of its signatures (juicer.engine.global_steps)."""

    partition: int
    segments: tuple[Segment, ...]  # this partition's part of each shard's signatures
    bounds: tuple[tuple[int, int], ...] = ()  # each shard's lowest and highest row id
    decides: bool = False  # its table is the step's decisions: kept by shard

    @property
    def marker(self) -> str:
        return stage_file(self.work_dir, self.stage, "reduce", f"p{self.partition:05d}.done.json")


@dataclass(frozen=True)
class ShardPassTask(_StageTask):
    """A global step's pass over the reduce tables' rows whose (later) document is in one
    shard: a deduplicator's verification, a span deduplicator's spans."""

    shard: int
    tables: tuple[str, ...]  # the reduce tasks' tables that have rows
    sources: tuple  # TextSource of every shard: where texts of any row id can be read
    decides: bool = False

    @property
    def marker(self) -> str:
        return stage_file(self.work_dir, self.stage, "verified", f"s{self.shard:05d}.done.json")


@dataclass(frozen=True)
class CombineTask(_StageTask):
    """A global step's one task over all its tables: a deduplicator's clusters."""

    tables: tuple[str, ...]
    reports: tuple[str, ...]  # the shard passes' reports, as JSON
    sources: tuple

    @property
    def marker(self) -> str:
        return stage_file(self.work_dir, self.stage, "decisions", "all.done.json")


@dataclass
class ShardResult:
    """What a shard task did (its done marker, read back as this on the driver). The file
    summaries (`kept`, `dropped`, `quarantine`) are those of juicer.io.intermediates.ArrowSink:
    files, seals and rows; `quarantine` adds counts by error kind and file, and samples."""

    shard: int
    input_docs: int
    input_chars: int
    input_tokens: int
    kept_tokens: int
    kept: dict
    row_range: Optional[list[int]]  # lowest and highest row id kept; None: none kept
    dropped: dict
    quarantine: dict
    signatures: dict  # partition -> segments of the next global step's signatures
    metrics: dict  # step id -> StepMetrics state
    kept_samples: dict
    directory: str
    peak_rss: int = 0

    @classmethod
    def from_marker(cls, marker: dict) -> "ShardResult":
        return cls(**marker)

    def to_marker(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class TextSource:
    low: int  # lowest and highest row id of the shard's documents
    high: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class PartTask:
    kind: str
    index: int
    ranges: tuple[tuple[int, int, int], ...]  # (shard, start, end) in the shard's row order
    files: dict  # shard -> list of IPC files
    seals: dict  # file -> its seal's record, where the writing task's result had it
    schema: pa.Schema
    drop_columns: tuple[str, ...]
    path: str
    fmt: str
    compression: str


@lru_cache(maxsize=8)
def stages_of(pipeline_json: str) -> list[Stage]:
    return split_into_stages(list(steps_of(pipeline_json)))


@lru_cache(maxsize=8)
def steps_of(pipeline_json: str) -> tuple[Step, ...]:
    """The steps of a resolved pipeline, operators built from the registry (once per
    process and pipeline: workers get the pipeline as JSON, never operator objects)."""
    steps = []
    for entry in json.loads(pipeline_json):
        operator = registry.get(entry["op"])(entry["params"])
        steps.append(Step(op=entry["op"], id=entry["id"], params=entry["params"],
                          operator=operator, resources=entry.get("resources") or {}))
    return tuple(steps)


def shard_dir(work: str, stage: int, shard: int) -> str:
    return os.path.join(work, f"stage{stage}", f"shard{shard:05d}")


def stage_file(work: str, stage: int, folder: str, name: str) -> str:
    return os.path.join(work, f"stage{stage}", folder, name)


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def stage_resources(stage) -> Optional[dict]:
    """What a shard task of `stage` needs: the most any of its steps asks for (None when no
    step asks for more than one CPU)."""
    return steps_resources([*stage.steps, *([stage.global_step] if stage.global_step else [])])


def steps_resources(steps: list[Step]) -> Optional[dict]:
    """The most any of `steps` asks for (None when none asks for more than one CPU); a
    global step's reduce tasks ask for what the step asks (k-means on a GPU)."""
    asking = [step for step in steps if not step.resources.is_default()]
    if not asking:
        return None
    memory = [step.resources.memory for step in asking if step.resources.memory]
    return {"cpus": max(step.resources.cpus for step in asking),
            "gpus": max(step.resources.gpus for step in asking),
            "memory": max(memory) if memory else None,
            "steps": ", ".join(step.id for step in asking)}


def files_and_seals(written: dict, directory: str) -> tuple[list[str], dict]:
    """The paths of the files an ArrowSink result names, and their seals by path."""
    files = [fs.join(directory, name) for name in written["files"]]
    return files, dict(zip(files, written["seals"]))
