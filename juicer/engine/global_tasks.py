"""A global step's phases as tasks (juicer.engine.global_steps.finish driven over an executor): the
reduce, shard-pass and combine tasks, their tables in the work folder, and the decisions
cut by shard for the next stage."""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pyarrow as pa

from juicer.engine import dedup
from juicer.core.batch import ROW_ID
from juicer.core.fields import column_of, text_values
from juicer.io import fs
from juicer.io.attempts import once
from juicer.io.integrity import SealedFile
from juicer.io.partitioned import PartitionedSink, read_partition
from juicer.io.intermediates import (read_arrow_files, read_rows_with_ids, schema_of_files,
                                     write_marker)
from juicer.engine.global_steps import GlobalKind, Output, kind_of
from juicer.recipe import Step
from juicer.engine.context import (CombineTask, ReduceTask, RunContext, ShardPassTask,
                                   ShardResult, TextSource, elapsed, stage_file, steps_resources)
from juicer.engine.task_runner import TaskRunner


class TaskPhases:
    """A global step's phases as tasks over the executor; their tables are files in the
    work folder, and the decisions segments by shard (juicer.engine.global_steps.Phases)."""

    def __init__(self, runs: TaskRunner, run: RunContext, step: Step, stage: int,
                 shard_results: list[ShardResult], label: str):
        self.runs, self.run, self.stage = runs, run, stage
        self.shard_results, self.label, self.seconds = shard_results, label, 0.0
        self.holders = [r for r in shard_results if r.row_range is not None]
        self.sources = tuple(TextSource(r.row_range[0], r.row_range[1], tuple(
            os.path.join(r.directory, f) for f in r.kept["files"])) for r in self.holders)
        self.resources = steps_resources([step])

    def _run(self, fn, tasks: list, labels: list[str], label: str, resources=None) -> list:
        results = self.runs.run(fn, tasks, labels, label, resources)
        self.seconds += task_seconds(results)
        return results

    def reduce(self, kind: GlobalKind, step: Step, decides: bool) -> list[Output]:
        tasks = [ReduceTask(self.run, self.stage, p, tuple(
            tuple(segment) for r in self.shard_results for segment in r.signatures.get(str(p), [])),
            bounds_of(self.sources), decides) for p in range(self.run.partitions)]
        results = self._run(run_reduce_task, tasks,
                            [f"{self.label} partition {t.partition}" for t in tasks],
                            self.label, self.resources)
        return [_output(r) for r in results]

    def shard_pass(self, kind: GlobalKind, step: Step, tables: list, decides: bool
                   ) -> list[Output]:
        tasks = [ShardPassTask(self.run, self.stage, index, tuple(tables), self.sources, decides)
                 for index in range(len(self.sources))]
        name = "spans" if decides else "verify"
        results = self._run(run_shard_pass_task, tasks,
                            [f"{self.label} {name} shard {t.shard}" for t in tasks],
                            f"{self.label} {name}")
        return [_output(r) for r in results]

    def combine(self, kind: GlobalKind, step: Step, tables: list, reports: list[dict]):
        task = CombineTask(self.run, self.stage, tuple(tables),
                           tuple(json.dumps(r) for r in reports), self.sources)
        result = self._run(run_combine_task, [task], [f"{self.label} clusters"],
                           f"{self.label} clusters")[0]
        return result["decisions"], result["summary"]

    def texts_of(self, step: Step) -> dedup.TextsOf:
        return texts_reader(self.sources, step, self.run.text_field)


def _output(result: dict) -> Output:
    """A phase task's result (its done marker) as the phases see it."""
    table = result["decisions"] if result.get("decisions") is not None else result["path"]
    return Output(table, result["rows"], result.get("note"))


def task_seconds(results: list[dict]) -> float:
    """The seconds a global step's tasks took together (0 for markers from before they
    recorded it)."""
    return sum(r.get("seconds", 0.0) for r in results)


def bounds_of(sources: tuple) -> tuple[tuple[int, int], ...]:
    return tuple((source.low, source.high) for source in sources)


def write_decisions(table: pa.Table, bounds: tuple, directory: str, name: str,
                     producer: str) -> dict[str, list]:
    """Decisions in one file, a segment per shard holding some of their rows (`bounds`: each
    shard's lowest and highest row id, ascending), for the next stage's shard tasks."""
    sink = PartitionedSink(directory, name, max(len(bounds), 1), producer)
    if table.num_rows and bounds:
        rows = table.column(ROW_ID).to_numpy()
        lows = np.array([low for low, _ in bounds], np.int64)
        highs = np.array([high for _, high in bounds], np.int64)
        position = np.searchsorted(lows, rows, side="right") - 1
        held = (position >= 0) & (rows <= highs[np.clip(position, 0, None)])
        sink.write(table.filter(pa.array(held)), position[held])
    return sink.close()


def _phase_table(table: pa.Table, task, decides: bool, bounds: tuple, folder: str,
                 name: str) -> dict:
    """Keep a phase's table: as decisions cut by shard when it decides, else as a file."""
    if decides:
        return {"path": None, "decisions": write_decisions(
            table, bounds, stage_file(task.work_dir, task.stage, "decisions", ""), name,
            task.marker)}
    path = stage_file(task.work_dir, task.stage, folder, f"{name}.arrow")
    write_arrow(table, path, task.marker)
    return {"path": path, "decisions": None}


def _read_tables(kind: GlobalKind, step: Step, paths: tuple[str, ...]) -> pa.Table:
    return read_arrow_files(list(paths)) if paths else kind.empty(step)


@once
def run_reduce_task(task: ReduceTask) -> dict:
    """One partition of a global step's signatures through its kind's reduce."""
    started = time.perf_counter()
    step = task.global_step
    kind = kind_of(step.operator)
    signatures = read_partition(list(task.segments))
    reduced = kind.empty(step) if signatures is None else kind.reduce(step, signatures)
    result = {"partition": task.partition, "rows": reduced.num_rows,
              "note": kind.reduce_note(step, reduced),
              **_phase_table(reduced, task, task.decides, task.bounds, "pairs",
                             f"p{task.partition:05d}"),
              "seconds": elapsed(started)}
    write_marker(result, task.marker)
    return result


@once
def run_shard_pass_task(task: ShardPassTask) -> dict:
    """The reduce tables' rows whose (later) document lies in one shard, through the kind's
    shard pass."""
    started = time.perf_counter()
    step = task.global_step
    kind = kind_of(step.operator)
    source = task.sources[task.shard]
    rows = _read_tables(kind, step, task.tables)
    ids = rows.column(ROW_ID).to_numpy()
    rows = rows.filter(pa.array((ids >= source.low) & (ids <= source.high)))
    table, report = kind.shard_pass(step, rows, texts_reader(task.sources, step,
                                                             task.run.text_field))
    result = {"shard": task.shard, "rows": table.num_rows, "note": report,
              **_phase_table(table, task, task.decides, bounds_of(task.sources), "verified",
                             f"s{task.shard:05d}"),
              "seconds": elapsed(started)}
    write_marker(result, task.marker)
    return result


@once
def run_combine_task(task: CombineTask) -> dict:
    """All of a global step's tables through its kind's combine: decisions, and the
    report's summary."""
    started = time.perf_counter()
    step = task.global_step
    kind = kind_of(step.operator)
    decided, summary = kind.combine(step, _read_tables(kind, step, task.tables),
                                    [json.loads(r) for r in task.reports],
                                    texts_reader(task.sources, step, task.run.text_field))
    result = {"summary": summary, "decisions": write_decisions(
        decided, bounds_of(task.sources), stage_file(task.work_dir, task.stage, "decisions", ""),
        "all", task.marker), "seconds": elapsed(started)}
    write_marker(result, task.marker)
    return result


def texts_reader(sources: tuple, step: Step, text_field: str) -> dedup.TextsOf:
    """The step's texts of any row ids, read back from the shards' kept files."""
    field_name = step.operator.text_field(text_field)
    return lambda ids: read_texts(sources, field_name, ids)


def read_texts(sources: tuple, field_name: str, row_ids: np.ndarray) -> list[str]:
    """The texts of some row ids, read from the shards' files that hold them."""
    texts: list = [None] * len(row_ids)
    row_ids = np.asarray(row_ids, dtype=np.int64)
    for source in sources:
        wanted = np.flatnonzero((row_ids >= source.low) & (row_ids <= source.high))
        if not len(wanted):
            continue
        columns = [ROW_ID, column_of(field_name, schema_of_files(list(source.files)).names)]
        if fs.is_url(source.files[0]):  # not the whole shard: the batches with these rows
            table = read_rows_with_ids(list(source.files), columns, ROW_ID, row_ids[wanted])
        else:  # memory-mapped: only the pages of these rows are read
            table = read_arrow_files(list(source.files), columns=columns, verify=False)
        ids = table.column(ROW_ID).to_numpy()
        found = text_values(table, field_name).take(
            pa.array(np.searchsorted(ids, row_ids[wanted])))
        for index, text in zip(wanted, found.to_pylist()):
            texts[index] = text
    return texts


def write_arrow(table: pa.Table, path: str, producer: str) -> None:
    written = SealedFile(path, producer)
    with pa.ipc.new_file(pa.PythonFile(written, mode="w"), table.schema) as writer:
        writer.write_table(table)
    written.commit()
