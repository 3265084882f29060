"""The run's outputs: every kind (data/, dropped/, quarantine/) cut into parts of
`output.shard_rows` rows in row-id order, whatever the shard layout, one task per part."""
from __future__ import annotations

import os
from collections import Counter
from typing import Optional

import pyarrow as pa

from juicer.core.batch import DROP_REASON, ROW_ID, STATS
from juicer.io import fs
from juicer.io.integrity import fsync_folder
from juicer.io.intermediates import read_arrow_files, read_arrow_rows, schemas_of
from juicer.io.writers import TableWriter, conform, unify
from juicer.recipe import Recipe
from juicer.engine.task_runner import TaskRunner
from juicer.engine.context import PartTask, ShardResult, files_and_seals
from juicer.engine.work import OUTPUT_KINDS


def write_outputs(runs: TaskRunner, recipe: Recipe, out: str,
                  shard_results: list[list[ShardResult]], work: str) -> dict[str, list[str]]:
    """Cut each output into parts of `shard_rows` rows in row-id order. Parts depend only
    on the data, never on shard size or worker count, so outputs are byte-identical.
    Tasks write the parts into the generation's folder and the driver moves them into
    place: a worker left over from a replaced run never writes into data/."""
    spec = recipe.output
    final = shard_results[-1]
    seals: dict[str, dict] = {}
    sources: dict[str, dict] = {"data": {}, "dropped": {}, "quarantine": {}}
    for r in final:
        files, known = files_and_seals(r.kept, r.directory)
        sources["data"][r.shard] = files
        seals.update(known)
    files_of = {"data": [f for files in sources["data"].values() for f in files],
                "dropped": [], "quarantine": []}
    counts = {"data": {r.shard: r.kept["rows"] for r in final},
              "dropped": Counter(), "quarantine": Counter()}
    for stage_results in shard_results:
        for r in stage_results:
            for kind, written in (("dropped", r.dropped), ("quarantine", r.quarantine)):
                files, known = files_and_seals(written, r.directory)
                seals.update(known)
                sources[kind].setdefault(r.shard, []).extend(files)
                files_of[kind].extend(files)
                counts[kind][r.shard] += written["rows"]
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
