"""Fields whose type differs between parts of the input (a score that is a number in one
file and a string in another). Each shard infers its own types, so such a conflict shows
only when the outputs are cut, after all the work; it used to stop the run there, on every
rerun, naming no file. Now the type of the earliest document holding the field (in input
order, so whatever the sharding) stands, and the documents holding another type are
quarantined with their file, line or row and the field, before the outputs are cut."""
from __future__ import annotations

import json
import os
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.batch import DROP_REASON, ROW_ID, STATS
from juicer.engine.context import ShardResult
from juicer.io import fs
from juicer.io.carry import merged_type
from juicer.io.intermediates import ArrowSink, read_arrow_files, schemas_of
from juicer.io.shards import detect_format
from juicer.io.records import locate, quarantine_record, quarantine_table
from juicer.core.row_ids import split_row_id

_OWN = (ROW_ID, STATS, DROP_REASON)


def set_aside(shard_results: list[list[ShardResult]], inputs: list[str]) -> dict:
    """Quarantine the documents whose fields conflict with the type that stands; the
    shard results (kept files of the last stage, dropped files of every stage) are
    updated in place, so the outputs and the report see the change. Returns the number
    of documents set aside and of them per field (empty when there is no conflict)."""
    holders = _document_files(shard_results)
    if not holders:
        return {}
    schemas = dict(zip([path for path, _, _ in holders], schemas_of([p for p, _, _ in holders])))
    by_field: dict[str, list[str]] = {}
    for path, _, _ in holders:
        for field in schemas[path]:
            if field.name not in _OWN and not pa.types.is_null(field.type):
                by_field.setdefault(field.name, []).append(path)
    losers: dict[str, dict[str, pa.DataType]] = {}  # file -> field -> type that stands
    for name, paths in by_field.items():
        kinds = {schemas[p].field(name).type for p in paths}
        if len(kinds) < 2 or _all_merge(kinds):
            continue
        ordered = sorted(paths, key=lambda p: _first_row_holding(p, name))
        standing = schemas[ordered[0]].field(name).type
        for path in ordered[1:]:
            kind = schemas[path].field(name).type
            try:
                standing = merged_type(standing, kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                losers.setdefault(path, {})[name] = standing
    documents, by_name = 0, Counter()
    for path, result, key in holders:
        if path in losers:
            moved, names = _rewrite(path, result, key, losers[path], inputs)
            documents += moved
            by_name.update(names)
    return {"documents": documents, "by_field": dict(by_name)} if documents else {}


def _all_merge(kinds: set) -> bool:
    kinds = list(kinds)
    try:
        merged = kinds[0]
        for kind in kinds[1:]:
            merged = merged_type(merged, kind)
        return True
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def _document_files(shard_results: list[list[ShardResult]]) -> list[tuple[str, ShardResult, str]]:
    """(path, the shard result naming it, "kept" or "dropped") for every output file."""
    found = [(fs.join(r.directory, name), r, "kept")
             for r in shard_results[-1] for name in r.kept["files"]]
    found += [(fs.join(r.directory, name), r, "dropped")
              for stage in shard_results for r in stage for name in r.dropped["files"]]
    return found


def _first_row_holding(path: str, name: str) -> int:
    table = read_arrow_files([path], [ROW_ID, name])
    ids = table.column(ROW_ID).filter(pc.is_valid(table.column(name)))
    return int(pc.min(ids).as_py()) if len(ids) else 2**63


def _rewrite(path: str, result: ShardResult, key: str, standing: dict[str, pa.DataType],
             inputs: list[str]) -> tuple[int, Counter]:
    """Move the rows of `path` whose conflicting fields hold a value into a quarantine
    file of the same shard; the other rows stay, those fields null of the standing type."""
    table = read_arrow_files([path])
    holds = np.zeros(table.num_rows, dtype=bool)
    for name in standing:
        holds |= table.column(name).is_valid().to_numpy(zero_copy_only=False)
    moved, rest = table.filter(pa.array(holds)), table.filter(pa.array(~holds))
    for name, kind in standing.items():
        rest = rest.set_column(rest.schema.get_field_index(name), name, pa.nulls(rest.num_rows, kind))
    directory = result.directory
    producer = directory + ".done.json"
    stem = os.path.basename(path).rsplit(".", 1)[0]
    written_before = getattr(result, key)  # the shard's kept or dropped files
    files = [fs.join(directory, n) for n in written_before["files"]]
    index = files.index(path)
    replaced = ArrowSink(directory, f"{stem}-conformed", producer)
    replaced.write(rest)
    written = replaced.close()
    written_before["files"][index:index + 1] = written["files"]
    written_before["seals"][index:index + 1] = written["seals"]
    written_before["rows"] -= moved.num_rows
    entries = [_entry(moved, row, standing, inputs) for row in range(moved.num_rows)]
    sink = ArrowSink(directory, f"quarantine-{stem}-conflicts", producer)
    sink.write(quarantine_table(entries))
    written = sink.close()
    quarantine = result.quarantine
    quarantine["files"] = quarantine["files"] + written["files"]
    quarantine["seals"] = quarantine["seals"] + written["seals"]
    quarantine["rows"] += len(entries)
    errors = Counter(quarantine.get("errors", {}))
    errors["field type conflicts with earlier documents"] += len(entries)
    quarantine["errors"] = dict(errors)
    by_file = Counter(quarantine.get("by_file", {}))
    by_file.update(entry["file"] for entry in entries)
    quarantine["by_file"] = dict(by_file)
    quarantine["samples"] = (quarantine.get("samples", []) + entries)[:5]
    return moved.num_rows, Counter(name for row in range(moved.num_rows) for name in standing
                                   if moved.column(name)[row].is_valid)


def _entry(moved: pa.Table, row: int, standing: dict[str, pa.DataType], inputs: list[str]) -> dict:
    row_id = int(moved.column(ROW_ID)[row].as_py())
    file_index = split_row_id(row_id)[0]
    path = inputs[file_index] if file_index < len(inputs) else None
    line, number, where = locate(row_id, path, detect_format(path) if path else None)
    fields = [name for name in standing if moved.column(name)[row].is_valid]
    reason = "; ".join(
        f"field '{name}' is {moved.schema.field(name).type} here but "
        f"{standing[name]} in earlier documents of the input (a field has one type)"
        for name in fields)
    dropped = moved.column(DROP_REASON)[row].as_py() if DROP_REASON in moved.column_names else None
    if dropped:
        reason += f"; it had been dropped by {dropped}"
    record = {name: moved.column(name)[row].as_py() for name in moved.column_names
              if name not in _OWN}
    raw = json.dumps(record, ensure_ascii=False, default=str)
    return quarantine_record(row_id, path, line, number, reason + where, raw)
