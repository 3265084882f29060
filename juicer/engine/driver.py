"""The driver: splits the input into shards and the pipeline into stages, maps tasks over an
executor (reusing those a previous attempt finished), runs each global step's phases, writes
the outputs and the report."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Optional

from juicer.engine import conflicts

from juicer.report import groups as report_groups, html as report_html
from juicer.errors import JuicerError, storage_hint
from juicer.engine.executors import make_executor
from juicer.io import fs, ownership, probe
from juicer.io.attempts import OutputLock, forget_locks
from juicer.io.shards import Shard, expand_paths, split_into_shards
from juicer.io.writers import write_json, write_text
from juicer.engine.global_steps import finish
from juicer.engine.pipeline import split_into_stages
from juicer.recipe import Recipe, Step
from juicer.engine.run_report import build_report, name_cluster_files
from juicer.engine.context import RunContext, ShardResult, ShardTask, stage_resources
from juicer.engine.global_tasks import TaskPhases
from juicer.engine.outputs import write_outputs
from juicer.engine.shard_task import run_shard_task
from juicer.engine.task_runner import Progress, TaskRunner
from juicer.engine.work import input_fingerprint, prepare_output, run_fingerprint, sampling_of


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
        return _process_into(recipe, recipe.output.path, workers=workers, overwrite=overwrite,
                             force=force, progress=progress, keep_work=keep_work,
                             observe=observe, sample=sample)
    except OSError as exc:  # in this process; a task's comes back as TaskFailed
        hint = storage_hint(str(exc))
        if not hint:
            raise
        raise JuicerError(f"writing the output failed: {exc}", hint=hint) from exc


def _process_to_url(recipe: Recipe, **options) -> RunResult:
    """Build the run in a staging folder (where an interrupted one resumes), then publish it
    to the URL (juicer/io/remote_output.py). What the run writes names the URL, its final
    place, from the start."""
    from juicer.io import remote_output

    url = recipe.output.path.rstrip("/")
    remote_output.check_target(url, options["overwrite"])
    staging = remote_output.staging_dir(url, recipe.output.staging)
    result = _process_into(recipe, staging, **options)
    remote_output.publish(staging, url)
    return RunResult(url, result.report)


def _process_into(recipe: Recipe, out: str, *, workers, overwrite, force, progress, keep_work,
                  observe, sample) -> RunResult:
    """Run `recipe` building its outputs in `out` (its output.path, or a staging folder)."""
    started = time.time()
    ownership.check_output_place(out, recipe.input.paths)
    files = expand_paths(recipe.input.paths, skip_under=out)
    probe.check_text_field(files, recipe.input.text_field)
    shards = split_into_shards(files, recipe.input.shard_size, recipe.input.text_unit)
    fingerprint = input_fingerprint(files)
    sampling = sampling_of(files, sample, recipe.input.text_unit) if sample else None
    sample_rate = sampling["rate"] if sampling else None
    mode = {"observe": observe, "sample_rate": sample_rate}
    with OutputLock(out):
        resumed, work = prepare_output(out, fs.join(out, "_work"),
                                        run_fingerprint(recipe, fingerprint, mode),
                                        overwrite, force)
        return _run_stages(recipe, out, work, files, shards, fingerprint, resumed, sampling,
                           workers=workers, progress=progress, keep_work=keep_work,
                           observe=observe, started=started)


def _run_stages(recipe: Recipe, out: str, work: str, files: list[str], shards: list[Shard],
                fingerprint: str, resumed: bool, sampling: Optional[dict], *, workers,
                progress, keep_work, observe, started) -> RunResult:
    write_text(recipe.to_yaml({"input_fingerprint": fingerprint}),
               fs.join(out, "recipe.resolved.yaml"))
    run = RunContext(
        pipeline=json.dumps(recipe.resolved()["pipeline"]), text_field=recipe.input.text_field,
        work_dir=work, partitions=reduce_partitions(shards, recipe.executor.partitions),
        batch_size=recipe.input.batch_size, on_error=recipe.on_error,
        strict=recipe.input.strict, max_document_bytes=recipe.input.max_document_bytes,
        observe=observe, sample_rate=sampling["rate"] if sampling else None,
        count_tokens=recipe.output.count_tokens, kept_text_field=recipe.kept_text_field,
        output_format=recipe.output.format)
    stages = split_into_stages(recipe.pipeline)  # the recipe's own steps: no operator built again
    executor = make_executor(recipe.executor.kind, workers or recipe.executor.workers,
                             recipe.executor.address)
    runs = TaskRunner(executor, progress)
    idle = idle_workers_note(shards, executor.workers, recipe.input.shard_size)
    if idle and hasattr(progress, "note"):
        progress.note(idle)
    shard_results: list[list[ShardResult]] = []
    summaries: dict[str, dict] = {}
    global_seconds: dict[str, float] = {}
    decisions: dict[int, list] = {}  # the last global step's, by shard
    try:
        for stage_index, stage in enumerate(stages):
            tasks = [ShardTask(run, stage_index, shard,
                               tuple(tuple(s) for s in decisions.get(shard.index, [])))
                     for shard in shards]
            label = f"stage {stage_index + 1}/{len(stages)}"
            results = runs.run(run_shard_task, tasks,
                               [f"{label} shard {s.index} ({s.describe()})" for s in shards],
                               label, stage_resources(stage),
                               watch=(work, stage_index) if stage_index == 0 else None)
            shard_results.append([ShardResult.from_marker(r) for r in results])
            if stage.global_step is not None:
                summary, seconds, decisions = run_global_step(
                    runs, run, stage.global_step, stage_index, shard_results[-1],
                    f"{label} {stage.global_step.id}")
                global_seconds[stage.global_step.id] = seconds
                if summary is not None:
                    summaries[stage.global_step.id] = summary
        type_conflicts = conflicts.set_aside(shard_results, files)
        outputs = write_outputs(runs, recipe, out, shard_results, work)
    finally:
        executor.close()
    report = build_report(recipe, shard_results, summaries, outputs,
                          seconds=time.time() - started, started=started,
                          workers=executor.workers, shards=len(shards), fingerprint=fingerprint,
                          partitions=run.partitions, global_seconds=global_seconds)
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


def run_global_step(runs: TaskRunner, run: RunContext, step: Step, stage: int,
                    shard_results: list[ShardResult], label: str
                    ) -> tuple[Optional[dict], float, dict[int, list]]:
    """Run a global step's phases as tasks (juicer.engine.global_steps.finish). Returns its summary
    for the report, the seconds its tasks took together, and where the decisions on each
    shard's rows are (segments by shard index)."""
    phases = TaskPhases(runs, run, step, stage, shard_results, label)
    decisions, summary = finish(step, phases)
    decided: dict[int, list] = {}
    for by_position in decisions:
        for position, segments in by_position.items():
            decided.setdefault(phases.holders[int(position)].shard, []).extend(segments)
    return summary, phases.seconds, decided


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
