"""One shard through one stage, in a worker: read (or the previous stage's kept rows), apply
the previous global step's decisions, run the row-local steps, write kept, dropped and
quarantined rows and the next global step's signatures, and commit with a done marker."""
from __future__ import annotations

import json
import time
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from juicer.models import llm, token_counters
from juicer.core.batch import ROW_ID, Batch
from juicer.errors import InputError, JuicerError
from juicer.core.fields import text_values
from juicer.io import carry, fs
from juicer.io.attempts import once
from juicer.io.intermediates import ArrowSink, read_arrow_rows, read_marker, write_marker
from juicer.io.partitioned import PartitionedSink, read_partition
from juicer.io.shards import Shard
from juicer.io.progress import Reporter
from juicer.io.readers import read_shard
from juicer.io.records import RAW_LIMIT, locate, quarantine_record, quarantine_table, raw_row
from juicer.core.row_ids import split_row_id
from juicer.engine.global_steps import Decisions, apply_decisions, signatures_of
from juicer.core.metrics import StepMetrics
from juicer.engine.pipeline import run_steps
from juicer.recipe import Step
from juicer.core.row_ids import priorities
from juicer.core.samples import KEPT_SAMPLES, Samples, offer_kept
from juicer.engine.context import ShardResult, ShardTask, files_and_seals, shard_dir


def _peak_rss() -> int:
    """The largest resident size this worker process has had, in bytes."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


@once
def llm_task_place(task: ShardTask) -> llm.TaskPlace:
    """LLM steps keep this task's answers in their cache as stage{k}-shard{n}.jsonl (the
    same file when the task runs again) and count the run's requests in the generation's
    llm_budget.json (per process when the work folder is a URL: no lock spans machines)."""
    budget = None if fs.is_url(task.work_dir) else fs.join(task.work_dir, "llm_budget.json")
    return llm.TaskPlace(f"stage{task.stage}-shard{task.shard.index}", budget)


def run_shard_task(task: ShardTask) -> dict:
    """One shard through one stage: apply the previous global step's decisions, the
    row-local steps, then the map phase of the next global step. Returns its ShardResult
    as its done marker."""
    stages = task.run.stages
    stage = stages[task.stage]
    directory = shard_dir(task.work_dir, task.stage, task.shard.index)
    fs.remove_tree(directory)  # what an interrupted attempt left
    kept = ArrowSink(directory, "kept", task.marker)
    dropped = ArrowSink(directory, "dropped", task.marker)
    quarantine: list[dict] = []  # unreadable records
    failures: list[dict] = []  # documents an operator failed on
    signatures = (PartitionedSink(directory, "signatures", task.run.partitions, task.marker)
                  if stage.global_step is not None else None)
    metrics: dict[str, StepMetrics] = {}
    input_docs = input_chars = input_tokens = kept_tokens = 0
    tokenizer = token_counters.load(task.run.count_tokens) if task.run.count_tokens else None
    row_range = None  # lowest and highest row id kept
    decisions = None
    last_stage = task.stage == len(stages) - 1
    kept_samples = Samples(KEPT_SAMPLES)
    if stage.previous_global is not None:
        # the previous stage's result for this shard: its kept files and row-id range
        previous_directory = shard_dir(task.work_dir, task.stage - 1, task.shard.index)
        previous = read_marker(previous_directory + ".done.json")
        if previous is None:
            raise JuicerError(f"the done marker {previous_directory}.done.json is damaged",
                              hint="run the same command again: that task is redone")
        decisions = load_decisions(task)
        files, seals = files_and_seals(ShardResult.from_marker(previous).kept,
                                       previous_directory)
        batches = _batches_from_files(files, task.run.batch_size, seals)
    else:
        batches = _batches_from_source(task, quarantine)
    llm_place = llm_task_place(task)
    reporter = (Reporter(task.work_dir, task.stage, task.shard.index, task.shard.bytes_to_read)
                if task.stage == 0 else None)  # later stages read _work/, not the input
    for table in batches:
        if task.stage == 0:
            input_docs += table.num_rows
            if reporter is not None:  # with the documents of this batch: the first file too
                reporter.update(input_docs)
            input_chars += int(Batch(table).char_length(task.run.text_field).sum())
            if tokenizer:
                input_tokens += _token_count(tokenizer, table, task.run.text_field)
        if stage.previous_global is not None:
            result = apply_decisions(stage.previous_global, table, decisions, metrics,
                                     task.run.text_field, task.run.observe)
            for gone in result.dropped:
                dropped.write(gone)
            table = result.kept
        with llm.task_place(llm_place):
            result = run_steps(stage.steps, table, task.run.text_field, metrics,
                               task.run.on_error, task.run.observe)
        failures.extend(_failure_record(task.shard, *failure) for failure in result.failed)
        kept.write(result.kept)
        if last_stage:
            kept_text = task.run.kept_text_field or task.run.text_field
            offer_kept(kept_samples, result.kept, kept_text)
            if tokenizer:
                kept_tokens += _token_count(tokenizer, result.kept, kept_text)
        if result.kept.num_rows:
            ids = result.kept.column(ROW_ID)
            low, high = pa.compute.min(ids).as_py(), pa.compute.max(ids).as_py()
            row_range = [low, high] if row_range is None else \
                [min(row_range[0], low), max(row_range[1], high)]
        for gone in result.dropped:
            dropped.write(gone)
        if stage.global_step is not None and result.kept.num_rows:
            write_signatures(stage.global_step, result.kept, task, signatures, metrics)
    if reporter is not None:
        reporter.close()
    unreadable = len(quarantine)
    quarantine.extend(failures)
    quarantined = {"files": [], "seals": []}
    if quarantine:
        sink = ArrowSink(directory, "quarantine", task.marker)
        sink.write(quarantine_table(sorted(quarantine, key=lambda q: q[ROW_ID])))
        quarantined = sink.close()
    result = ShardResult(
        shard=task.shard.index, input_docs=input_docs + unreadable, input_chars=input_chars,
        input_tokens=input_tokens, kept_tokens=kept_tokens, kept=kept.close(),
        row_range=row_range, dropped=dropped.close(),
        quarantine={"files": quarantined["files"], "seals": quarantined["seals"],
                    "rows": len(quarantine),
                    "errors": dict(Counter(_error_kind(q["error"]) for q in quarantine)),
                    "by_file": dict(Counter(q["file"] for q in quarantine)),
                    "samples": quarantine[:5]},
        signatures=signatures.close() if signatures else {},
        metrics={k: v.to_state() for k, v in metrics.items()},
        kept_samples=kept_samples.to_state(), directory=directory, peak_rss=_peak_rss())
    marker = result.to_marker()
    write_marker(marker, task.marker)  # commits the shard: a resumed run reuses it
    return marker


def _failure_record(shard: Shard, row_id: int, error: str, record: dict) -> dict:
    """A quarantine entry for a document an operator failed on."""
    piece = {piece.file_index: piece for piece in shard.pieces}.get(split_row_id(row_id)[0])
    line, row, where = locate(row_id, piece.path, piece.format) if piece else (None, None, "")
    return quarantine_record(row_id, piece.path if piece else None, line, row, error + where,
                             json.dumps(record, ensure_ascii=False, default=str))


def _error_kind(error: str) -> str:
    return error.split(":")[0].split(" at byte")[0]


def _token_count(tokenizer: token_counters.TokenCounter, table: pa.Table, field: str) -> int:
    """Tokens of the text field's strings (a missing or non-string value counts none: it
    is quarantined, not counted)."""
    try:
        texts = text_values(table, field)
    except (JuicerError, KeyError):
        return 0
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        return 0
    return int(tokenizer.count([text or "" for text in texts.to_pylist()]).sum())


def _batches_from_source(task: ShardTask, quarantine: list[dict]):
    for result in read_shard(task.shard, task.run.text_field):
        if task.run.strict and result.quarantine:
            first = result.quarantine[0]
            where = f"line {first['line']}" if first["line"] is not None else f"row {first['row']}"
            raise InputError(f"{first['file']}, {where}: {first['error']}", hint="without "
                             "input.strict such records go to quarantine/ and the run goes on")
        quarantine.extend(result.quarantine)
        if result.table is not None:
            table = _without_oversized(result.table, task, quarantine)
            table = _without_unwritable(table, task, quarantine)
            if task.run.sample_rate is not None and task.run.sample_rate < 1:
                chosen = priorities(table.column(ROW_ID).to_numpy()) < int(task.run.sample_rate * 2**63)
                table = table.filter(pa.array(chosen))
            yield from _slices(table, task.run.batch_size)


def _without_oversized(table: pa.Table, task: ShardTask, quarantine: list[dict]) -> pa.Table:
    """Set aside documents longer than input.max_document_bytes, with their location."""
    limit = task.run.max_document_bytes
    if table.num_rows == 0:
        return table
    lengths = pa.compute.binary_length(text_values(table, task.run.text_field)).fill_null(0).to_numpy(
        zero_copy_only=False)
    oversized = lengths > limit
    if not oversized.any():
        return table
    for index in np.flatnonzero(oversized):
        text = text_values(table, task.run.text_field)[int(index)].as_py()
        _set_aside(table, int(index), task, quarantine,
                   f"document too large: {int(lengths[index]):,} bytes of text, more than "
                   f"input.max_document_bytes ({limit:,})",
                   "raise input.max_document_bytes, or drop input.strict to quarantine it",
                   text[:RAW_LIMIT])
    return table.filter(pa.array(~oversized))


def _without_unwritable(table: pa.Table, task: ShardTask, quarantine: list[dict]) -> pa.Table:
    """Set aside documents the output format cannot hold as they are (an empty JSON object
    in a Parquet output: Parquet has no group without fields)."""
    if task.run.output_format != "parquet" or table.num_rows == 0:
        return table
    bad = carry.empty_object_rows(table)
    if not bad:
        return carry.without_empty_structs(table)  # such a type holding only nulls
    for index, field in sorted(bad.items()):
        _set_aside(table, index, task, quarantine,
                   f"field '{field}' holds an empty object, which Parquet cannot store",
                   "write output.format: jsonl (or arrow), or give the object a field",
                   raw_row(table, index))
    keep = np.ones(table.num_rows, dtype=bool)
    keep[list(bad)] = False
    return carry.without_empty_structs(table.filter(pa.array(keep)))


def _set_aside(table: pa.Table, index: int, task: ShardTask, quarantine: list[dict],
               error: str, hint: str, raw: str) -> None:
    """Quarantine one read document with its file and line (or row), or stop the run with
    them under input.strict."""
    row_id = int(table.column(ROW_ID)[index].as_py())
    piece = {piece.file_index: piece for piece in task.shard.pieces}[split_row_id(row_id)[0]]
    line, row, where = locate(row_id, piece.path, piece.format)
    if task.run.strict:
        at = f"line {line}" if line else f"row {row}" if row is not None else "the stream"
        raise InputError(f"{piece.path}, {at}: {error}{where}", hint=hint)
    quarantine.append(quarantine_record(row_id, piece.path, line, row, error + where, raw))


def _slices(table: pa.Table, size: int):
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size)


def _batches_from_files(files: list[str], size: int, seals: dict):
    """The previous stage's kept rows, a record batch at a time (not memory-mapped: mapped
    pages would stay resident for the whole task)."""
    for table in read_arrow_rows(files, 0, 2**62, seals):
        yield from _slices(table, size)


def load_decisions(task: ShardTask) -> Decisions:
    """The previous global step's decisions on this shard's rows: only the segments that
    hold them, read by range (a whole decisions file per shard task would be read tens of
    thousands of times at a terabyte)."""
    decided = read_partition(list(task.decisions))
    if decided is None:
        return Decisions(np.zeros(0, np.int64), np.zeros(0, bool), {})
    return Decisions.from_table(decided)


def write_signatures(step: Step, table: pa.Table, task: ShardTask, sink: PartitionedSink,
                      metrics: dict[str, StepMetrics]) -> None:
    """A global step's map phase over one batch; its time counts as the step's."""
    started = time.perf_counter()
    signatures = signatures_of(step, table, task.run.text_field)
    sink.write(signatures, (signatures.column("key_hash").to_numpy()
                            % np.uint64(task.run.partitions)).astype(np.int64))
    metrics.setdefault(step.id, StepMetrics()).seconds += time.perf_counter() - started
