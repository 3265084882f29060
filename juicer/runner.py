"""The runner: plans shards and stages, maps work over an executor, writes the outputs and
the report. Executors only run the module-level task functions below.

Layout of a run under output.path:
  data/part-00000.parquet ...     kept documents, cut every `output.shard_rows`
  dropped/part-*.parquet          dropped documents with __drop_reason__ and __stats__
  quarantine/part-*.parquet       unreadable records with file, line/row and error
  report.json, recipe.resolved.yaml
  _work/run.json                  the run's fingerprint and generation
  _work/<generation>/             its tasks' intermediates and done markers (removed after
                                  success; juicer/io/attempts.py says why a generation)
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from juicer import conflicts, dedup, llm_tokenizers, registry, report_groups, report_html
from juicer.batch import DROP_REASON, ROW_ID, STATS, Batch
from juicer.errors import InputError, JuicerError, RefusedError, storage_hint
from juicer.executors import make_executor
from juicer.fields import column_of, text_values
from juicer.io import carry, fs, ownership, probe
from juicer.io.attempts import GENERATION_FILE, OutputLock, forget_locks, new_generation, once
from juicer.io.planner import (PARQUET_ROW_BITS, ROW_FORMATS, Shard, expand_paths, plan_shards,
                               split_row_id)
from juicer.io.integrity import SealedFile, fsync_folder
from juicer.io.partitioned import PartitionedSink, Segment, read_partition
from juicer.io.progress import Reporter, Watcher
from juicer.io.readers import count_records, read_shard
from juicer.io.records import (RAW_LIMIT, count_newlines, quarantine_record, quarantine_table,
                               raw_row)
from juicer.io.writers import (ArrowSink, TableWriter, conform, read_arrow_files,
                               read_arrow_rows, read_json, read_marker, read_rows_with_ids,
                               schema_of_files, schemas_of, unify, write_json, write_marker,
                               write_text)
from juicer.global_steps import (Decisions, GlobalKind, Output, apply_decisions, finish,
                                 kind_of, signatures_of)
from juicer.metrics import StepMetrics
from juicer.pipeline import plan_stages, run_steps
from juicer.recipe import Recipe, Step
from juicer.report import build_report, name_cluster_files
from juicer.samples import KEPT_SAMPLES, Samples, offer_kept, priorities

OUTPUT_KINDS = ("data", "dropped", "quarantine")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ShardTask:
    pipeline: str  # the resolved pipeline as JSON: workers rebuild operators from it
    text_field: str
    batch_size: int
    stage: int
    shard: Shard
    work_dir: str
    partitions: int
    on_error: str = "quarantine"
    strict: bool = False
    max_document_bytes: int = 10 * 10**6
    observe: bool = False  # juicer analyze: record stats and would-be drops, drop nothing
    sample_rate: Optional[float] = None  # juicer analyze --sample: share of documents read
    count_tokens: Optional[str] = None  # tokenizer for the input and kept token counts
    kept_text_field: Optional[str] = None  # where kept text is, when a step moved it
    # the previous global step's decisions on this shard's rows: (path, offset, length, crc)
    decisions: tuple[Segment, ...] = ()
    output_format: str = "parquet"  # what the outputs are written as (what they can hold)

    @property
    def marker(self) -> str:
        return _shard_dir(self.work_dir, self.stage, self.shard.index) + ".done.json"


@dataclass(frozen=True)
class ReduceTask:
    """A global step's reduce over one partition of its signatures (juicer.global_steps)."""

    pipeline: str
    stage: int
    partition: int
    segments: tuple[Segment, ...]  # this partition's part of each shard's signatures
    work_dir: str
    bounds: tuple[tuple[int, int], ...] = ()  # each shard's lowest and highest row id
    decides: bool = False  # its table is the step's decisions: kept by shard

    @property
    def marker(self) -> str:
        return _stage_file(self.work_dir, self.stage, "reduce", f"p{self.partition:05d}.done.json")


@dataclass(frozen=True)
class ShardPassTask:
    """A global step's pass over the reduce tables' rows whose (later) document is in one
    shard: a deduplicator's verification, a span deduplicator's spans."""

    pipeline: str
    text_field: str
    stage: int
    shard: int
    tables: tuple[str, ...]  # the reduce tasks' tables that have rows
    sources: tuple  # TextSource of every shard: where texts of any row id can be read
    work_dir: str
    decides: bool = False

    @property
    def marker(self) -> str:
        return _stage_file(self.work_dir, self.stage, "verified", f"s{self.shard:05d}.done.json")


@dataclass(frozen=True)
class CombineTask:
    """A global step's one task over all its tables: a deduplicator's clusters."""

    pipeline: str
    text_field: str
    stage: int
    tables: tuple[str, ...]
    reports: tuple[str, ...]  # the shard passes' reports, as JSON
    sources: tuple
    work_dir: str

    @property
    def marker(self) -> str:
        return _stage_file(self.work_dir, self.stage, "decisions", "all.done.json")


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


@dataclass
class RunResult:
    output: str
    report: dict

    @property
    def report_path(self) -> str:
        return os.path.join(self.output, "report.json")

    def __repr__(self) -> str:
        """What a user printing it wants: where, and what became of the documents (not the
        whole report, which is thousands of lines)."""
        r = self.report
        return (f"RunResult(output={self.output!r}, input_docs={r.get('input_docs', 0):,}, "
                f"kept={r.get('kept_docs', 0):,}, dropped={r.get('dropped_docs', 0):,}, "
                f"quarantined={r.get('quarantined_docs', 0):,}, "
                f"seconds={r.get('seconds', 0):.1f}, report={self.report_path!r})")


def process(recipe: Recipe, *, workers: Optional[int] = None, overwrite: bool = False,
            force: bool = False, progress: Optional[Progress] = None,
            keep_work: bool = False, observe: bool = False,
            sample: Optional[int] = None) -> RunResult:
    """Run a recipe. An output directory holding an interrupted run of the same recipe and
    input is resumed: finished shard and partition tasks are reused, not redone.

    `observe` (juicer analyze) drops nothing: every filter sees every document and the
    report counts what it would drop. `sample` reads about that many documents, picked by
    a hash of their row id (the same ones on every run)."""
    try:
        if fs.is_url(recipe.output.path):
            return _process_to_url(recipe, workers=workers, overwrite=overwrite, force=force,
                                   progress=progress, keep_work=keep_work, observe=observe,
                                   sample=sample)
        return _process(recipe, workers=workers, overwrite=overwrite, force=force,
                        progress=progress, keep_work=keep_work, observe=observe, sample=sample)
    except OSError as exc:  # in this process; a task's comes back as TaskFailed
        hint = storage_hint(str(exc))
        if not hint:
            raise
        raise JuicerError(f"writing the output failed: {exc}", hint=hint) from exc


def _process_to_url(recipe: Recipe, **options) -> RunResult:
    """Build the run in a staging folder (where an interrupted one resumes), then publish it
    to the URL (juicer/io/remote_output.py)."""
    from juicer.io import remote_output

    url = recipe.output.path.rstrip("/")
    remote_output.check_target(url, options["overwrite"])
    staging = remote_output.staging_dir(url, recipe.output.staging)
    staged = recipe.model_copy(update={"output": recipe.output.model_copy(
        update={"path": staging})})
    result = _process(staged, **options)
    remote_output.publish(staging, url, recipe.to_yaml(
        {"input_fingerprint": result.report["input_fingerprint"]}))
    return RunResult(url, {**result.report, "output": url})


def _process(recipe: Recipe, *, workers, overwrite, force, progress, keep_work, observe,
             sample) -> RunResult:
    started = time.time()
    out = recipe.output.path
    ownership.check_output_place(out, recipe.input.paths)
    files = expand_paths(recipe.input.paths, skip_under=out)
    probe.check_text_field(files, recipe.input.text_field)
    shards = plan_shards(files, recipe.input.shard_size, recipe.input.text_unit)
    fingerprint = input_fingerprint(files)
    sampling = _sampling(files, sample, recipe.input.text_unit) if sample else None
    sample_rate = sampling["rate"] if sampling else None
    mode = {"observe": observe, "sample_rate": sample_rate}
    with OutputLock(out):
        resumed, work = _prepare_output(out, fs.join(out, "_work"),
                                        run_fingerprint(recipe, fingerprint, mode),
                                        overwrite, force)
        return _run_stages(recipe, out, work, files, shards, fingerprint, resumed, sampling,
                           workers=workers, progress=progress, keep_work=keep_work,
                           observe=observe, started=started)


def _run_stages(recipe: Recipe, out: str, work: str, files: list[str], shards: list[Shard],
                fingerprint: str, resumed: bool, sampling: Optional[dict], *, workers,
                progress, keep_work, observe, started) -> RunResult:
    sample_rate = sampling["rate"] if sampling else None
    write_text(recipe.to_yaml({"input_fingerprint": fingerprint}),
               fs.join(out, "recipe.resolved.yaml"))
    pipeline_json = json.dumps(recipe.resolved()["pipeline"])
    stages = plan_stages(recipe.pipeline)
    partitions = reduce_partitions(shards, recipe.executor.partitions)
    executor = make_executor(recipe.executor.kind, workers or recipe.executor.workers,
                             recipe.executor.address)
    runs = _TaskRunner(executor, progress)
    idle = idle_workers_note(shards, executor.workers, recipe.input.shard_size)
    if idle and hasattr(progress, "note"):
        progress.note(idle)
    shard_results: list[list[dict]] = []
    summaries: dict[str, dict] = {}
    global_seconds: dict[str, float] = {}
    decisions: dict[int, list] = {}  # the last global step's, by shard
    try:
        for stage_index, stage in enumerate(stages):
            tasks = [ShardTask(pipeline_json, recipe.input.text_field, recipe.input.batch_size,
                               stage_index, shard, work, partitions, recipe.on_error,
                               recipe.input.strict, recipe.input.max_document_bytes,
                               observe, sample_rate, recipe.output.count_tokens,
                               recipe.kept_text_field,
                               tuple(tuple(s) for s in decisions.get(shard.index, [])),
                               recipe.output.format)
                     for shard in shards]
            label = f"stage {stage_index + 1}/{len(stages)}"
            shard_results.append(runs.run(run_shard_task, tasks,
                                          [f"{label} shard {s.index} ({s.describe()})"
                                           for s in shards], label, stage_resources(stage),
                                          watch=(work, stage_index) if stage_index == 0 else None))
            if stage.global_step is not None:
                summary, seconds, decisions = _run_global_step(
                    runs, stage.global_step, stage_index, partitions, shard_results[-1],
                    pipeline_json, recipe, work, f"{label} {stage.global_step.id}")
                global_seconds[stage.global_step.id] = seconds
                if summary is not None:
                    summaries[stage.global_step.id] = summary
        type_conflicts = conflicts.set_aside(shard_results, files)
        outputs = _write_outputs(runs, recipe, shard_results, work)
    finally:
        executor.close()
    report = build_report(recipe, shard_results, summaries, outputs,
                          seconds=time.time() - started, started=started,
                          workers=executor.workers, shards=len(shards), fingerprint=fingerprint,
                          partitions=partitions, global_seconds=global_seconds)
    report["resumed"] = {"resumed": resumed, "reused_tasks": runs.reused,
                         "ran_tasks": runs.ran}
    report["mode"] = "analyze" if observe else "process"
    if idle:
        report["notes"] = [*report["notes"], idle]
    name_cluster_files(report, files)
    if type_conflicts:
        report["type_conflicts"] = type_conflicts
    if sampling:
        report["sample"] = sampling
    if not observe and not fs.is_url(out):  # analyze drops nothing: no drop rates per group
        report["groups"] = report_groups.breakdowns(out, recipe.output.group_by)
    report_html.write(report, fs.join(out, "report.html"))
    write_json(report, fs.join(out, "report.json"))  # last: it marks the run finished
    if not keep_work:
        fs.remove_tree(os.path.dirname(work))
    forget_locks(work)
    return RunResult(out, report)


PARTITION_INPUT_BYTES = 2 << 30


def reduce_partitions(shards: list[Shard], configured: Optional[int] = None) -> int:
    """How many partitions a global step's signatures are hashed into. Up to 64 shards,
    one per shard; beyond 64 partitions (128 GB of input) one per 2 GB, so that a reduce
    task's signatures stay a few hundred MB whatever the corpus."""
    if configured:
        return configured
    by_size = -(-sum(shard.size for shard in shards) // PARTITION_INPUT_BYTES)
    return max(1, min(64, len(shards)), by_size)


def _run_global_step(runs: "_TaskRunner", step: Step, stage: int, partitions: int,
                     shard_results: list[dict], pipeline_json: str, recipe: Recipe, work: str,
                     label: str) -> tuple[Optional[dict], float, dict[int, list]]:
    """Run a global step's phases as tasks (juicer.global_steps.finish). Returns its summary
    for the report, the seconds its tasks took together, and where the decisions on each
    shard's rows are (segments by shard index)."""
    phases = _TaskPhases(runs, step, stage, partitions, shard_results, pipeline_json,
                         recipe.input.text_field, work, label)
    decisions, summary = finish(step, phases)
    decided: dict[int, list] = {}
    for by_position in decisions:
        for position, segments in by_position.items():
            decided.setdefault(phases.holders[int(position)]["shard"], []).extend(segments)
    return summary, phases.seconds, decided


class _TaskPhases:
    """A global step's phases as tasks over the executor; their tables are files in the
    work folder, and the decisions segments by shard (juicer.global_steps.Phases)."""

    def __init__(self, runs: "_TaskRunner", step: Step, stage: int, partitions: int,
                 shard_results: list[dict], pipeline_json: str, text_field: str, work: str,
                 label: str):
        self.runs, self.stage, self.partitions, self.work = runs, stage, partitions, work
        self.shard_results, self.pipeline, self.text_field = shard_results, pipeline_json, text_field
        self.label, self.seconds = label, 0.0
        self.holders = [r for r in shard_results if r["row_range"] is not None]
        self.sources = tuple(TextSource(r["row_range"][0], r["row_range"][1], tuple(
            os.path.join(r["directory"], f) for f in r["kept"]["files"])) for r in self.holders)
        self.resources = steps_resources([step])

    def _run(self, fn, tasks: list, labels: list[str], label: str, resources=None) -> list:
        results = self.runs.run(fn, tasks, labels, label, resources)
        self.seconds += _task_seconds(results)
        return results

    def reduce(self, kind: GlobalKind, step: Step, decides: bool) -> list[Output]:
        tasks = [ReduceTask(self.pipeline, self.stage, p, tuple(
            tuple(segment) for r in self.shard_results
            for segment in r["signatures"].get(str(p), [])),
            self.work, _bounds(self.sources), decides) for p in range(self.partitions)]
        results = self._run(run_reduce_task, tasks,
                            [f"{self.label} partition {t.partition}" for t in tasks],
                            self.label, self.resources)
        return [_output(r) for r in results]

    def shard_pass(self, kind: GlobalKind, step: Step, tables: list, decides: bool
                   ) -> list[Output]:
        tasks = [ShardPassTask(self.pipeline, self.text_field, self.stage, index, tuple(tables),
                               self.sources, self.work, decides)
                 for index in range(len(self.sources))]
        name = "spans" if decides else "verify"
        results = self._run(run_shard_pass_task, tasks,
                            [f"{self.label} {name} shard {t.shard}" for t in tasks],
                            f"{self.label} {name}")
        return [_output(r) for r in results]

    def combine(self, kind: GlobalKind, step: Step, tables: list, reports: list[dict]):
        task = CombineTask(self.pipeline, self.text_field, self.stage, tuple(tables),
                           tuple(json.dumps(r) for r in reports), self.sources, self.work)
        result = self._run(run_combine_task, [task], [f"{self.label} clusters"],
                           f"{self.label} clusters")[0]
        return result["decisions"], result["summary"]

    def texts_of(self, step: Step) -> dedup.TextsOf:
        field_name = step.operator.text_field(self.text_field)
        return lambda ids: read_texts(self.sources, field_name, ids)


def _output(result: dict) -> Output:
    """A phase task's result (its done marker) as the phases see it."""
    table = result["decisions"] if result.get("decisions") is not None else result["path"]
    return Output(table, result["rows"], result.get("note"))


def _task_seconds(results: list[dict]) -> float:
    """The seconds a global step's tasks took together (0 for markers from before they
    recorded it)."""
    return sum(r.get("seconds", 0.0) for r in results)


def _elapsed(started: float) -> float:
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


def input_fingerprint(files: list[str]) -> str:
    """Changes when an input file is added, removed, resized or rewritten."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{fs.version(path)}\n".encode())
    return digest.hexdigest()[:16]


def _sampling(files: list[str], requested: int, text_unit: str) -> dict:
    population = sum(count_records(path, text_unit) for path in files)
    return {"requested": requested, "population": population,
            "rate": min(1.0, requested / max(population, 1))}


# the layout of `_work/`, recorded in its run.json: raised when a task's files or results
# change meaning, so that no run resumes from another layout (3: decisions cut by shard;
# 4: done markers and manifests carry a checksum; 5: statistic sketches at 0.2%, whose
# bucket keys do not merge with 1% ones; 6: a global step's phase tasks all give rows,
# table or decisions, note and seconds)
WORK_FORMAT = 6


def run_fingerprint(recipe: Recipe, input_fingerprint: str, mode: Optional[dict] = None) -> str:
    """Everything the output depends on: Juicer's version, input, output and pipeline
    settings, the input files, analyze mode. Not the executor: results do not depend on it."""
    resolved = recipe.resolved()
    resolved.pop("executor")
    for step in resolved["pipeline"]:  # where tasks run, not what they produce
        step.pop("resources", None)
    resolved["input_fingerprint"] = input_fingerprint
    if mode and any(mode.values()):
        resolved["mode"] = mode
    return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()[:16]


def _prepare_output(out: str, work_root: str, fingerprint: str, overwrite: bool,
                    force: bool) -> tuple[bool, str]:
    """Make `out` ready. Returns whether it holds an interrupted run to resume, and the
    folder of this run's generation under `_work/` (a resumed run keeps its generation)."""
    manifest = fs.join(work_root, "run.json")
    existing = [name for name in (*OUTPUT_KINDS, "_work", "report.json")
                if fs.exists(fs.join(out, name))]
    if overwrite:
        ownership.remove_previous_run(out)
    elif fs.exists(fs.join(out, "report.json")):
        raise RefusedError(f"output directory '{out}' already holds a finished run",
                          hint="pass --overwrite to replace it, or choose another "
                          "output.path")
    elif fs.exists(manifest):
        previous = _manifest(manifest, out)
        if previous.get("work_format") != WORK_FORMAT:  # not even --force: wrong output
            raise RefusedError(
                f"output directory '{out}' holds an interrupted run of another Juicer version, "
                "whose intermediate files this one cannot resume from", hint="pass "
                "--overwrite to start over")
        if previous["fingerprint"] != fingerprint and not force:
            raise RefusedError(
                f"output directory '{out}' holds an interrupted run of a different recipe or "
                "input (settings, Juicer version or input files changed)", hint="pass "
                "--overwrite to start over, or --force to resume it with this recipe anyway")
        generation = previous.get("generation") or new_generation()
        _start_generation(manifest, fingerprint, generation)
        return True, fs.join(work_root, generation)
    elif existing:
        raise JuicerError(f"output directory '{out}' already holds files of another run "
                          f"({', '.join(existing)})", hint="pass --overwrite to replace "
                          "them, or choose another output.path")
    generation = new_generation()
    ownership.mark(out)
    _start_generation(manifest, fingerprint, generation)
    return False, fs.join(work_root, generation)


def _manifest(manifest: str, out: str) -> dict:
    """The interrupted run's manifest; a damaged one is rebuilt from its generation's copy
    (each generation folder holds the same record)."""
    record = read_marker(manifest)
    if record is not None:
        return record
    try:  # a run of an older layout wrote it without a seal: refused by its work_format
        unsealed = read_json(manifest)
        if isinstance(unsealed, dict) and unsealed.get("work_format") != WORK_FORMAT:
            return unsealed
    except (ValueError, UnicodeDecodeError):
        pass
    work_root = os.path.dirname(manifest) if not fs.is_url(manifest) else manifest.rsplit("/", 1)[0]
    copies = [read_marker(fs.join(fs.join(work_root, name), GENERATION_FILE))
              for name in fs.names(work_root) if name.startswith("g")]
    copies = [copy for copy in copies if copy and copy.get("generation")]
    if len(copies) == 1:
        write_marker(copies[0], manifest)
        return copies[0]
    raise RefusedError(f"the manifest of the interrupted run in '{out}' ({manifest}) is damaged "
                       "and cannot be rebuilt", hint="pass --overwrite to start over")


def _start_generation(manifest: str, fingerprint: str, generation: str) -> None:
    """Record the run's generation; its folder gets a file, so that it exists on an object
    store too (where a folder is only a prefix of the files in it)."""
    record = {"fingerprint": fingerprint, "generation": generation, "work_format": WORK_FORMAT}
    write_marker(record, fs.join(fs.join(os.path.dirname(manifest), generation), GENERATION_FILE))
    write_marker(record, manifest)


def idle_workers_note(shards: list[Shard], workers: int, shard_size: int) -> Optional[str]:
    """Why some workers wait, when fewer shards than workers are read and one of them is a
    compressed stream larger than a shard: a .gz or .zst file is read from its start by
    one worker (a plain file that size would have been cut into several shards)."""
    streams = [p.path for s in shards for p in s.pieces if p.end < 0 and p.size > shard_size
               and p.path.lower().endswith((".gz", ".zst"))]
    if len(shards) >= workers or not streams:
        return None
    name = os.path.basename(streams[0])
    return (f"{len(shards)} shard(s) for {workers} workers: {name} is one compressed stream, "
            "which only one worker can read (from its start); the others wait. Split "
            "the input into several files (or decompress it: plain "
            ".jsonl is cut into shards of input.shard_size) to read with every worker.")


class _TaskRunner:
    """Maps tasks over the executor, reusing the result of every task that finished before
    (its done marker, written atomically by the task as its last act)."""

    def __init__(self, executor, progress: Optional[Progress]):
        self.executor, self.progress = executor, progress
        self.reused = self.ran = 0

    def run(self, fn, tasks, labels, label, resources: Optional[dict] = None,
            watch: Optional[tuple[str, int]] = None) -> list:
        """`watch`: (work folder, stage) of shard tasks whose reading the progress line
        follows inside each shard."""
        results: list = [None] * len(tasks)
        markers = [getattr(task, "marker", None) for task in tasks]
        finished = fs.existing([marker for marker in markers if marker])
        reused = [index for index, marker in enumerate(markers) if marker in finished]
        for index, result in zip(reused, fs.map_paths(read_marker, [markers[i] for i in reused])):
            if result is None:  # a damaged marker: its task is done again
                fs.remove_file(markers[index])
                finished.discard(markers[index])
                continue
            results[index] = result
        reused = [index for index in reused if results[index] is not None]
        self.reused += len(reused)
        todo = [index for index, marker in enumerate(markers) if marker not in finished]
        done = len(tasks) - len(todo)
        if self.progress:
            self.progress(label, done, len(tasks))
        watcher = None
        if watch and todo and hasattr(self.progress, "detail"):
            sizes = {tasks[i].shard.index: tasks[i].shard.bytes_to_read for i in todo}
            watcher = Watcher(watch[0], watch[1], sizes, self.progress.detail)
        with watcher or contextlib.nullcontext():
            for position, result in self.executor.map(fn, [tasks[i] for i in todo],
                                                      [labels[i] for i in todo], resources):
                results[todo[position]] = result
                done += 1
                self.ran += 1
                if watcher is not None:
                    watcher.done(tasks[todo[position]].shard.index)
                if self.progress:
                    self.progress(label, done, len(tasks))
        return results


# ------------------------------------------------------------------ tasks (run in workers)


@lru_cache(maxsize=8)
def _steps(pipeline_json: str) -> tuple[Step, ...]:
    steps = []
    for entry in json.loads(pipeline_json):
        operator = registry.get(entry["op"])(entry["params"])
        steps.append(Step(op=entry["op"], id=entry["id"], params=entry["params"],
                          operator=operator))
    return tuple(steps)


def _shard_dir(work: str, stage: int, shard: int) -> str:
    return os.path.join(work, f"stage{stage}", f"shard{shard:05d}")


def _peak_rss() -> int:
    """The largest resident size this worker process has had, in bytes."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


@once
def run_shard_task(task: ShardTask) -> dict:
    """One shard through one stage: apply the previous global step's decisions, the
    row-local steps, then the map phase of the next global step."""
    stages = plan_stages(list(_steps(task.pipeline)))
    stage = stages[task.stage]
    directory = _shard_dir(task.work_dir, task.stage, task.shard.index)
    fs.remove_tree(directory)  # what an interrupted attempt left
    kept = ArrowSink(directory, "kept", task.marker)
    dropped = ArrowSink(directory, "dropped", task.marker)
    quarantine: list[dict] = []  # unreadable records
    failures: list[dict] = []  # documents an operator failed on
    signatures = (PartitionedSink(directory, "signatures", task.partitions, task.marker)
                  if stage.global_step is not None else None)
    metrics: dict[str, StepMetrics] = {}
    input_docs = input_chars = input_tokens = kept_tokens = 0
    tokenizer = llm_tokenizers.load(task.count_tokens) if task.count_tokens else None
    row_range = None  # lowest and highest row id kept
    decisions = None
    last_stage = task.stage == len(stages) - 1
    kept_samples = Samples(KEPT_SAMPLES)
    if stage.previous_global is not None:
        # the previous stage's result for this shard: its kept files and row-id range
        previous_directory = _shard_dir(task.work_dir, task.stage - 1, task.shard.index)
        previous = read_marker(previous_directory + ".done.json")
        if previous is None:
            raise JuicerError(f"the done marker {previous_directory}.done.json is damaged",
                              hint="run the same command again: that task is redone")
        decisions = _load_decisions(task)
        files, seals = _files_and_seals(previous["kept"], previous_directory)
        batches = _batches_from_files(files, task.batch_size, seals)
    else:
        batches = _batches_from_source(task, quarantine)
    reporter = (Reporter(task.work_dir, task.stage, task.shard.index, task.shard.bytes_to_read)
                if task.stage == 0 else None)  # later stages read _work/, not the input
    for table in batches:
        if task.stage == 0:
            input_docs += table.num_rows
            if reporter is not None:  # with the documents of this batch: the first file too
                reporter.update(input_docs)
            input_chars += int(Batch(table).char_length(task.text_field).sum())
            if tokenizer:
                input_tokens += _token_count(tokenizer, table, task.text_field)
        if stage.previous_global is not None:
            result = apply_decisions(stage.previous_global, table, decisions, metrics,
                                     task.text_field, task.observe)
            for gone in result.dropped:
                dropped.write(gone)
            table = result.kept
        result = run_steps(stage.steps, table, task.text_field, metrics, task.on_error,
                           task.observe)
        failures.extend(_failure_record(task.shard, *failure) for failure in result.failed)
        kept.write(result.kept)
        if last_stage:
            kept_text = task.kept_text_field or task.text_field
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
            _write_signatures(stage.global_step, result.kept, task, signatures, metrics)
    if reporter is not None:
        reporter.close()
    unreadable = len(quarantine)
    quarantine.extend(failures)
    quarantined = {"files": [], "seals": []}
    if quarantine:
        sink = ArrowSink(directory, "quarantine", task.marker)
        sink.write(quarantine_table(sorted(quarantine, key=lambda q: q[ROW_ID])))
        quarantined = sink.close()
    result = {
        "shard": task.shard.index,
        "input_docs": input_docs + unreadable,
        "input_chars": input_chars,
        "input_tokens": input_tokens,
        "kept_tokens": kept_tokens,
        "kept": kept.close(),
        "row_range": row_range,
        "dropped": dropped.close(),
        "quarantine": {"files": quarantined["files"], "seals": quarantined["seals"],
                       "rows": len(quarantine),
                       "errors": dict(Counter(_error_kind(q["error"]) for q in quarantine)),
                       "by_file": dict(Counter(q["file"] for q in quarantine)),
                       "samples": quarantine[:5]},
        "signatures": signatures.close() if signatures else {},
        "metrics": {k: v.to_state() for k, v in metrics.items()},
        "kept_samples": kept_samples.to_state(),
        "directory": directory,
        "peak_rss": _peak_rss(),
    }
    write_marker(result, task.marker)  # commits the shard: a resumed run reuses it
    return result


def _failure_record(shard: Shard, row_id: int, error: str, record: dict) -> dict:
    """A quarantine entry for a document an operator failed on."""
    paths = {piece.file_index: piece.path for piece in shard.pieces}
    file_index, position = split_row_id(row_id)
    return quarantine_record(row_id, paths.get(file_index), None, None,
                             f"{error} (document at position {position})",
                             json.dumps(record, ensure_ascii=False, default=str))


def _error_kind(error: str) -> str:
    return error.split(":")[0].split(" at byte")[0]


def _token_count(tokenizer: llm_tokenizers.TokenCounter, table: pa.Table, field: str) -> int:
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
    for result in read_shard(task.shard, task.text_field):
        if task.strict and result.quarantine:
            first = result.quarantine[0]
            where = f"line {first['line']}" if first["line"] is not None else f"row {first['row']}"
            raise InputError(f"{first['file']}, {where}: {first['error']}", hint="without "
                             "input.strict such records go to quarantine/ and the run goes on")
        quarantine.extend(result.quarantine)
        if result.table is not None:
            table = _without_oversized(result.table, task, quarantine)
            table = _without_unwritable(table, task, quarantine)
            if task.sample_rate is not None and task.sample_rate < 1:
                chosen = priorities(table.column(ROW_ID).to_numpy()) < int(task.sample_rate * 2**63)
                table = table.filter(pa.array(chosen))
            yield from _slices(table, task.batch_size)


def _without_oversized(table: pa.Table, task: ShardTask, quarantine: list[dict]) -> pa.Table:
    """Set aside documents longer than input.max_document_bytes, with their location."""
    limit = task.max_document_bytes
    if table.num_rows == 0:
        return table
    lengths = pa.compute.binary_length(text_values(table, task.text_field)).fill_null(0).to_numpy(
        zero_copy_only=False)
    oversized = lengths > limit
    if not oversized.any():
        return table
    for index in np.flatnonzero(oversized):
        text = text_values(table, task.text_field)[int(index)].as_py()
        _set_aside(table, int(index), task, quarantine,
                   f"document too large: {int(lengths[index]):,} bytes of text, more than "
                   f"input.max_document_bytes ({limit:,})",
                   "raise input.max_document_bytes, or drop input.strict to quarantine it",
                   text[:RAW_LIMIT])
    return table.filter(pa.array(~oversized))


def _without_unwritable(table: pa.Table, task: ShardTask, quarantine: list[dict]) -> pa.Table:
    """Set aside documents the output format cannot hold as they are (an empty JSON object
    in a Parquet output: Parquet has no group without fields)."""
    if task.output_format != "parquet" or table.num_rows == 0:
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
    file_index, position = split_row_id(row_id)
    piece = {piece.file_index: piece for piece in task.shard.pieces}[file_index]
    line = row = None
    if piece.format in ROW_FORMATS:
        row = position >> PARQUET_ROW_BITS
    elif piece.format in ("jsonl", "lines"):
        line = count_newlines(piece.path, position) + 1
    where = "" if line or row is not None else f" (document at byte {position} of the " \
        "decompressed stream)"
    if task.strict:
        at = f"line {line}" if line else f"row {row}" if row is not None else "the stream"
        raise InputError(f"{piece.path}, {at}: {error}{where}", hint=hint)
    quarantine.append(quarantine_record(row_id, piece.path, line, row, error + where, raw))


def _slices(table: pa.Table, size: int):
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size)


def _files_and_seals(written: dict, directory: str) -> tuple[list[str], dict]:
    """The paths of the files an ArrowSink result names, and their seals by path."""
    files = [fs.join(directory, name) for name in written["files"]]
    return files, dict(zip(files, written["seals"]))


def _batches_from_files(files: list[str], size: int, seals: dict):
    """The previous stage's kept rows, a record batch at a time (not memory-mapped: mapped
    pages would stay resident for the whole task)."""
    for table in read_arrow_rows(files, 0, 2**62, seals):
        yield from _slices(table, size)


def _load_decisions(task: ShardTask) -> Decisions:
    """The previous global step's decisions on this shard's rows: only the segments that
    hold them, read by range (a whole decisions file per shard task would be read tens of
    thousands of times at a terabyte)."""
    decided = read_partition(list(task.decisions))
    if decided is None:
        return Decisions(np.zeros(0, np.int64), np.zeros(0, bool), {})
    return Decisions.from_table(decided)


def _bounds(sources: tuple) -> tuple[tuple[int, int], ...]:
    return tuple((source.low, source.high) for source in sources)


def _write_decisions(table: pa.Table, bounds: tuple, directory: str, name: str,
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


def _write_signatures(step: Step, table: pa.Table, task: ShardTask, sink: PartitionedSink,
                      metrics: dict[str, StepMetrics]) -> None:
    """A global step's map phase over one batch; its time counts as the step's."""
    started = time.perf_counter()
    signatures = signatures_of(step, table, task.text_field)
    sink.write(signatures, (signatures.column("key_hash").to_numpy()
                            % np.uint64(task.partitions)).astype(np.int64))
    metrics.setdefault(step.id, StepMetrics()).seconds += time.perf_counter() - started


def _global_step(task) -> Step:
    return plan_stages(list(_steps(task.pipeline)))[task.stage].global_step


def _phase_table(table: pa.Table, task, decides: bool, bounds: tuple, folder: str,
                 name: str) -> dict:
    """Keep a phase's table: as decisions cut by shard when it decides, else as a file."""
    if decides:
        return {"path": None, "decisions": _write_decisions(
            table, bounds, _stage_file(task.work_dir, task.stage, "decisions", ""), name,
            task.marker)}
    path = _stage_file(task.work_dir, task.stage, folder, f"{name}.arrow")
    _write_arrow(table, path, task.marker)
    return {"path": path, "decisions": None}


def _read_tables(kind: GlobalKind, step: Step, paths: tuple[str, ...]) -> pa.Table:
    return read_arrow_files(list(paths)) if paths else kind.empty(step)


@once
def run_reduce_task(task: ReduceTask) -> dict:
    """One partition of a global step's signatures through its kind's reduce."""
    started = time.perf_counter()
    step = _global_step(task)
    kind = kind_of(step.operator)
    signatures = read_partition(list(task.segments))
    reduced = kind.empty(step) if signatures is None else kind.reduce(step, signatures)
    result = {"partition": task.partition, "rows": reduced.num_rows,
              "note": kind.reduce_note(step, reduced),
              **_phase_table(reduced, task, task.decides, task.bounds, "pairs",
                             f"p{task.partition:05d}"),
              "seconds": _elapsed(started)}
    write_marker(result, task.marker)
    return result


@once
def run_shard_pass_task(task: ShardPassTask) -> dict:
    """The reduce tables' rows whose (later) document lies in one shard, through the kind's
    shard pass."""
    started = time.perf_counter()
    step = _global_step(task)
    kind = kind_of(step.operator)
    source = task.sources[task.shard]
    rows = _read_tables(kind, step, task.tables)
    ids = rows.column(ROW_ID).to_numpy()
    rows = rows.filter(pa.array((ids >= source.low) & (ids <= source.high)))
    field_name = step.operator.text_field(task.text_field)
    table, report = kind.shard_pass(step, rows,
                                    lambda ids: read_texts(task.sources, field_name, ids))
    result = {"shard": task.shard, "rows": table.num_rows, "note": report,
              **_phase_table(table, task, task.decides, _bounds(task.sources), "verified",
                             f"s{task.shard:05d}"),
              "seconds": _elapsed(started)}
    write_marker(result, task.marker)
    return result


@once
def run_combine_task(task: CombineTask) -> dict:
    """All of a global step's tables through its kind's combine: decisions, and the
    report's summary."""
    started = time.perf_counter()
    step = _global_step(task)
    kind = kind_of(step.operator)
    field_name = step.operator.text_field(task.text_field)
    decided, summary = kind.combine(step, _read_tables(kind, step, task.tables),
                                    [json.loads(r) for r in task.reports],
                                    lambda ids: read_texts(task.sources, field_name, ids))
    result = {"summary": summary, "decisions": _write_decisions(
        decided, _bounds(task.sources), _stage_file(task.work_dir, task.stage, "decisions", ""),
        "all", task.marker), "seconds": _elapsed(started)}
    write_marker(result, task.marker)
    return result


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


def _stage_file(work: str, stage: int, folder: str, name: str) -> str:
    return os.path.join(work, f"stage{stage}", folder, name)


def _write_arrow(table: pa.Table, path: str, producer: str) -> None:
    written = SealedFile(path, producer)
    with pa.ipc.new_file(pa.PythonFile(written, mode="w"), table.schema) as writer:
        writer.write_table(table)
    written.commit()


# ------------------------------------------------------------------ writing the outputs


def _write_outputs(runs: "_TaskRunner", recipe: Recipe, shard_results: list[list[dict]],
                   work: str) -> dict[str, list[str]]:
    """Cut each output into parts of `shard_rows` rows in row-id order. Parts depend only
    on the data, never on shard size or worker count, so outputs are byte-identical.
    Tasks write the parts into the generation's folder and the driver moves them into
    place: a worker left over from a replaced run never writes into data/."""
    out, spec = recipe.output.path, recipe.output
    final = shard_results[-1]
    seals: dict[str, dict] = {}
    sources: dict[str, dict] = {"data": {}, "dropped": {}, "quarantine": {}}
    for r in final:
        files, known = _files_and_seals(r["kept"], r["directory"])
        sources["data"][r["shard"]] = files
        seals.update(known)
    files_of = {"data": [f for files in sources["data"].values() for f in files],
                "dropped": [], "quarantine": []}
    counts = {"data": {r["shard"]: r["kept"]["rows"] for r in final},
              "dropped": Counter(), "quarantine": Counter()}
    for stage_results in shard_results:
        for r in stage_results:
            for kind, key in (("dropped", "dropped"), ("quarantine", "quarantine")):
                files, known = _files_and_seals(r[key], r["directory"])
                seals.update(known)
                sources[kind].setdefault(r["shard"], []).extend(files)
                files_of[kind].extend(files)
                counts[kind][r["shard"]] += r[key]["rows"]
    drop_columns = {"data": (ROW_ID,) if spec.keep_stats else (ROW_ID, STATS),
                    "dropped": (ROW_ID,), "quarantine": (ROW_ID,)}
    tasks = []
    # A shard infers each column's type from its own rows (all-null -> null type); kept and
    # dropped documents together see every row, so their union decides, whatever the sharding.
    every_file = [f for kind in OUTPUT_KINDS for f in files_of[kind]]
    schema_of = dict(zip(every_file, schemas_of(every_file)))  # one footer read per file
    documents = unify([schema_of[f] for f in files_of["data"] + files_of["dropped"]])
    for kind in OUTPUT_KINDS:
        schema = unify([schema_of[f] for f in files_of[kind]])
        if kind != "quarantine":
            schema = _reserved_last(_stats_in_pipeline_order(_with_types_of(schema, documents),
                                                             recipe))
        fs.remove_tree(fs.join(fs.join(work, "parts"), kind))
        if schema is None:
            continue
        shard_order = sorted(sources[kind])
        for index, ranges in enumerate(_cut_parts([counts[kind][s] for s in shard_order],
                                                  shard_order, spec.shard_rows)):
            suffix = {"parquet": "parquet", "arrow": "arrow"}.get(spec.format, "jsonl")
            files = {s: sources[kind][s] for s, _, _ in ranges}
            tasks.append(PartTask(kind, index, tuple(ranges), files,
                                  {f: seals[f] for paths in files.values() for f in paths
                                   if f in seals}, schema,
                                  drop_columns[kind],
                                  os.path.join(work, "parts", kind,
                                               f"part-{index:05d}.{suffix}"),
                                  spec.format, spec.compression))
    runs.run(write_part_task, tasks, [f"writing {t.path}" for t in tasks], "writing")
    files: dict[str, list[str]] = {kind: [] for kind in OUTPUT_KINDS}
    for kind in OUTPUT_KINDS:
        fs.remove_tree(fs.join(out, kind))  # an interrupted move
        if not fs.is_url(out):
            os.makedirs(os.path.join(out, kind))
    for task in tasks:
        name = f"{task.kind}/{os.path.basename(task.path)}"
        fs.move(task.path, fs.join(out, name))
        files[task.kind].append(name)
    if not fs.is_url(out):
        for kind in OUTPUT_KINDS:
            fsync_folder(os.path.join(out, kind))
    return files


def _with_types_of(schema: Optional[pa.Schema], documents: Optional[pa.Schema]):
    if schema is None or documents is None:
        return schema
    for index, field in enumerate(schema):
        if field.name not in (STATS, DROP_REASON) and field.name in documents.names:
            schema = schema.set(index, documents.field(field.name))
    return schema


def _reserved_last(schema: Optional[pa.Schema]):
    """Juicer's columns after the documents' own: a shard appends its stats before it meets
    an input field that only later documents have, so the unified order would otherwise
    depend on where shards begin."""
    if schema is None:
        return schema
    reserved = [name for name in (STATS, DROP_REASON) if name in schema.names]
    fields = [f for f in schema if f.name not in reserved] + [schema.field(n) for n in reserved]
    return pa.schema(fields, metadata=schema.metadata)


def _stats_in_pipeline_order(schema: Optional[pa.Schema], recipe: Recipe):
    """Which step's stats a shard saw first depends on its drops; the output must not."""
    if schema is None or STATS not in schema.names:
        return schema
    stats = schema.field(STATS).type
    order = {step.id: index for index, step in enumerate(recipe.pipeline)}
    fields = sorted((stats.field(i) for i in range(stats.num_fields)),
                    key=lambda field: order.get(field.name, len(order)))
    return schema.set(schema.get_field_index(STATS), pa.field(STATS, pa.struct(fields)))


def _cut_parts(counts: list[int], shard_ids: list[int], rows_per_part: int):
    """Group consecutive rows of all shards into parts of `rows_per_part` rows."""
    parts, current, room = [], [], rows_per_part
    for shard, count in zip(shard_ids, counts):
        start = 0
        while start < count:
            take = min(room, count - start)
            current.append((shard, start, start + take))
            start += take
            room -= take
            if room == 0:
                parts.append(current)
                current, room = [], rows_per_part
    if current:
        parts.append(current)
    return parts


def write_part_task(task: PartTask) -> int:
    """Write one output part, streaming its rows so memory stays bounded by a row group."""
    schema = task.schema
    drop = [c for c in task.drop_columns if c in schema.names]
    written = schema
    for name in drop:
        written = written.remove(written.get_field_index(name))
    rows = 0
    with TableWriter(task.path, task.fmt, task.compression, written) as writer:
        for shard, start, end in task.ranges:
            if task.kind == "data":
                pieces = read_arrow_rows(task.files[shard], start, end, task.seals)
            else:  # several stages add drops for the same shard: restore input order
                table = conform(read_arrow_files(task.files[shard], seals=task.seals),
                                schema).sort_by(ROW_ID)
                pieces = [table.slice(start, end - start)]
            for piece in pieces:
                piece = conform(piece, schema).drop_columns(drop)
                writer.write(piece)
                rows += piece.num_rows
    return rows
