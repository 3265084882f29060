"""Per-group breakdowns for the report: documents kept and dropped (by reason) per value of
a field (source, language, domain...), counted from the run's own data/ and dropped/ files.

Counting the finished outputs, rather than inside the shard tasks, gives the same numbers
for any field of any finished run (`juicer report OUT --group-by FIELD`), whatever the
executor or sharding, and costs one read of one column per output file."""
from __future__ import annotations

import os
from collections import Counter
from typing import Optional, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.batch import DROP_REASON

# fields that name a group when a recipe does not say (output.group_by)
AUTO_FIELDS = ("source", "lang", "language", "domain", "dataset", "subset")
SHOWN_VALUES = 30
MAX_VALUES = 1000  # beyond this many distinct values (ids, urls) a field groups nothing
NO_VALUE = "(none)"


def breakdowns(out_dir: str, fields: Optional[Sequence[str]] = None) -> dict:
    """{field: {"distinct", "values": [{value, documents, kept, dropped, reasons}], "rest"}}
    for each of `fields` (default: those of AUTO_FIELDS the outputs hold); a field the
    outputs lack, or with too many distinct values, gets {"skipped": why}."""
    files = {kind: output_files(os.path.join(out_dir, kind)) for kind in ("data", "dropped")}
    names = field_names(files["data"] + files["dropped"])
    if fields is None:
        fields = [name for name in AUTO_FIELDS if name in names]
    result = {}
    for name in fields:
        top = name.split(".")[0]
        if top not in names:
            result[name] = {"skipped": "no document of the output has this field"}
            continue
        kept, dropped = Counter(), Counter()
        try:  # counted in Arrow: a Python value per document would not scale
            for table in read_columns(files["data"], [top]):
                kept.update(_counts(pa.table({"value": _values(table, name)})))
            for table in read_columns(files["dropped"], [top, DROP_REASON]):
                dropped.update(_counts(pa.table({"value": _values(table, name),
                                                 "reason": table.column(DROP_REASON)})))
        except _TooVaried as exc:
            result[name] = {"skipped": str(exc)}
            continue
        distinct = set(kept) | {value for value, _ in dropped}
        if len(distinct) > MAX_VALUES:
            result[name] = {"skipped": f"more than {MAX_VALUES:,} distinct values"}
            continue
        reasons_of: dict[str, dict] = {}
        for (value, reason), n in dropped.items():
            reasons_of.setdefault(value, {})[reason] = n
        rows = []
        for value in distinct:
            reasons = reasons_of.get(value, {})
            gone = sum(reasons.values())
            rows.append({"value": value, "documents": kept[value] + gone, "kept": kept[value],
                         "dropped": gone, "reasons": dict(sorted(reasons.items(),
                                                                 key=lambda kv: (-kv[1], kv[0])))})
        rows.sort(key=lambda row: (-row["documents"], row["value"]))
        rest = rows[SHOWN_VALUES:]
        result[name] = {"distinct": len(rows), "values": rows[:SHOWN_VALUES],
                        "rest": {"values": len(rest),
                                 "documents": sum(r["documents"] for r in rest),
                                 "kept": sum(r["kept"] for r in rest),
                                 "dropped": sum(r["dropped"] for r in rest)}}
    return result


class _TooVaried(Exception):
    pass


def output_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if name.endswith((".parquet", ".arrow", ".jsonl")))


def field_names(files: list[str]) -> set[str]:
    names: set[str] = set()
    for path in files:
        if path.endswith(".parquet"):
            import pyarrow.parquet as pq

            names.update(pq.read_schema(path).names)
        elif path.endswith(".arrow"):
            with pa.memory_map(path) as source:
                names.update(pa.ipc.open_file(source).schema.names)
        else:
            names.update(_read_jsonl(path).column_names)
    return names


def read_columns(files: list[str], columns: list[str]):
    for path in files:
        if path.endswith(".parquet"):
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            yield _with_columns(pq.read_table(path, columns=[c for c in columns
                                                             if c in schema.names]), columns)
        elif path.endswith(".arrow"):
            with pa.memory_map(path) as source:
                table = pa.ipc.open_file(source).read_all()
            yield _with_columns(table.select([c for c in columns if c in table.column_names]),
                                columns)
        else:
            table = _read_jsonl(path)
            yield _with_columns(table.select([c for c in columns if c in table.column_names]),
                                columns)


def _read_jsonl(path: str) -> pa.Table:
    import pyarrow.json as pj

    return pj.read_json(path)


def _with_columns(table: pa.Table, columns: list[str]) -> pa.Table:
    """A file whose rows all lack a field has no column for it: all null."""
    for name in columns:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table


def _counts(table: pa.Table) -> dict:
    """Rows per distinct value (a tuple of values when there are several columns)."""
    grouped = table.group_by(table.column_names).aggregate([([], "count_all")])
    keys = [grouped.column(c).to_pylist() for c in table.column_names]
    rows = zip(*keys) if len(keys) > 1 else keys[0]
    return dict(zip(rows, grouped.column("count_all").to_pylist()))


def _values(table: pa.Table, name: str) -> pa.Array:
    """The field's value of each row as text (a dotted name reads inside a struct)."""
    column = table.column(name.split(".")[0])
    for part in name.split(".")[1:]:
        if not pa.types.is_struct(column.type):
            return pa.array([NO_VALUE] * table.num_rows, pa.string())
        column = pc.struct_field(column, part) if part in [
            column.type.field(i).name for i in range(column.type.num_fields)] else \
            pa.nulls(table.num_rows)
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type) or \
            pa.types.is_struct(column.type) or pa.types.is_map(column.type):
        raise _TooVaried("a list or object value, not a group name")
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, NO_VALUE)
