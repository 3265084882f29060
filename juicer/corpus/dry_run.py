"""`juicer plan RECIPE`: a dry run on a sample that estimates what the full run costs.

The recipe runs for real on about `sample` documents picked by row id (the same ones every
time) in a scratch folder; what it measured is scaled by population / sample: documents
each step sees and drops, CPU seconds per step, wall time on the workers, the sizes of
data/, dropped/ and the intermediates, and the memory one worker needs. Memory per worker
depends on the shard and batch sizes, not on the corpus, so it is reported as measured.
Estimates are only as good as the sample is like the rest; global steps (dedup) find more
duplicates in a larger corpus than in a sample of it. A step that runs on a GPU
(`device: cuda`) is planned on the CPU where the planning machine has no GPU, with a note:
its documents are right, its seconds are the CPU's. A step that asks a language model is
not run at all: a plan must cost nothing and write nothing outside its scratch folder, and
its answers would be paid requests. Such a step is listed with the documents that reach it
(about that many requests, fewer with a warm cache) and no drops; the steps after it are
planned as if it kept everything.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Optional

from juicer.recipe import Recipe, Step


def _folder_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names) if os.path.isdir(path) else 0


def plan(recipe: Recipe, *, sample: int = 2000, workers: Optional[int] = None) -> dict:
    from juicer.io import fs
    from juicer.io.shards import expand_paths, split_into_shards
    from juicer.engine.driver import process
    from juicer.models.llm import asks_llm

    files = expand_paths(recipe.input.paths, skip_under=recipe.output.path)
    input_bytes = sum(fs.size(path) for path in files)
    shards = split_into_shards(files, recipe.input.shard_size, recipe.input.text_unit)
    not_run = {step.id for step in recipe.pipeline if asks_llm(type(step.operator))}
    pipeline, notes = _runnable_here([step for step in recipe.pipeline if step.id not in not_run])
    scratch = tempfile.mkdtemp(prefix="juicer-plan-")
    try:
        trial = recipe.model_copy(update={"pipeline": pipeline, "output": recipe.output.model_copy(
            update={"path": scratch, "staging": None})})
        result = process(trial, workers=workers, overwrite=True, keep_work=True, sample=sample)
        report = result.report
        measured = {kind: _folder_bytes(os.path.join(scratch, kind))
                    for kind in ("data", "dropped", "quarantine", "_work")}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    worker_rss = report.get("peak_worker_rss", 0)
    population = report["sample"]["population"]
    sampled = max(report["input_docs"], 1)
    scale = population / sampled
    workers_used = report["executor"]["workers"]
    measured_steps = {step["id"]: step for step in report["steps"]}
    reaching = round((report["input_docs"] - report["quarantined_docs"]) * scale)
    steps = []
    for step in recipe.pipeline:
        if step.id in not_run:
            steps.append({"id": step.id, "op": step.op, "docs_in": reaching, "dropped": None,
                          "keep_share": None, "cpu_seconds": 0.0, "llm_requests": reaching})
            notes.append(f"step '{step.id}' asks a language model: not run in the dry run "
                         f"(about {reaching:,} requests, fewer with a warm llm cache); its "
                         "drops are not estimated, the steps after it are planned as if it "
                         "kept everything")
            continue
        ran = measured_steps[step.id]
        steps.append({"id": step.id, "op": step.op,
                      "docs_in": round(ran["docs_in"] * scale),
                      "dropped": round(ran["dropped"] * scale),
                      "keep_share": round(ran["docs_out"] / ran["docs_in"], 4) if ran["docs_in"] else None,
                      "cpu_seconds": round(ran["seconds"] * scale, 1)})
        reaching = round(ran["docs_out"] * scale)
    cpu = sum(step["cpu_seconds"] for step in steps)
    return {
        "recipe": recipe.source,
        "input_files": len(files), "input_bytes": input_bytes, "shards": len(shards),
        "population": population, "sampled": sampled,
        "kept_docs": round(report["kept_docs"] * scale),
        "dropped_docs": round(report["dropped_docs"] * scale),
        "quarantined_docs": round(report["quarantined_docs"] * scale),
        "steps": steps,
        "cpu_seconds": round(cpu, 1),
        "workers": workers_used,
        "wall_seconds": round(cpu / max(min(workers_used, len(shards)), 1), 1),
        "disk_bytes": {kind: round(size * scale) for kind, size in measured.items()},
        "worker_memory_bytes": worker_rss,
        "sample_seconds": report["seconds"],
        "notes": notes,
    }


def _runnable_here(pipeline: list[Step]) -> tuple[list[Step], list[str]]:
    """The pipeline with GPU steps moved to the CPU when this machine has no usable GPU (the
    run itself may well go to GPU workers), and a note for each."""
    from juicer.models import devices

    reason = devices.cuda_unavailable()
    if reason is None:
        return pipeline, []
    steps, notes = [], []
    for step in pipeline:
        if step.params.get("device") == "cuda":
            params = {**step.params, "device": "cpu"}
            step = step.model_copy(update={"params": params,
                                           "operator": type(step.operator)(params)})
            notes.append(f"step '{step.id}' runs on a GPU (device: cuda), which this machine "
                         f"lacks ({reason}): planned on the CPU, so its seconds are the CPU's")
        steps.append(step)
    return steps, notes
