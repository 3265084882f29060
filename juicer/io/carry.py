"""Carried fields come out as they went in: the checks that decide whether a record's values
survive the trip through Arrow unchanged, and the slow path that builds a table from parsed
records without losing a field or a digit.

A record that cannot be carried unchanged is quarantined with the reason (naming the
field); it is never silently altered. What cannot be carried:

- a string holding a lone surrogate (JSON's "\\ud800" escape: not Unicode, cannot be
  written as UTF-8);
- an integer outside 64 bits (-2**63 .. 2**64-1): Arrow has no wider integer;
- a number beyond float range (1e400) or NaN/Infinity (not JSON numbers, RFC 8259);
- nesting deeper than MAX_NESTING levels (Arrow readers and writers recurse on it);
- a key given twice in one object (which value is meant is not known);
- a value whose type conflicts with the same field's type in earlier records of the block.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Optional

import numpy as np
import pyarrow as pa

MAX_NESTING = 100
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_LOW, _INT_HIGH = -2**63, 2**64 - 1
_INT64_HIGH = 2**63 - 1
_BRACKETS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


class DuplicateKey(ValueError):
    pass


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return record


def parse_record(text: str) -> Any:
    """A JSON value, refusing duplicate keys (json.loads would keep the last one)."""
    return json.loads(text, object_pairs_hook=_pairs_without_duplicates)


def value_problem(value: Any, path: str = "", depth: int = 0) -> Optional[str]:
    """Why `value` (parsed JSON) cannot be carried unchanged, naming where in the record;
    None when it can."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            return f"field '{path}' holds a lone surrogate (\\u{ord(_SURROGATE.search(value).group()):04x}), which is not Unicode"
        return None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not _INT_LOW <= value <= _INT_HIGH:
            digits = str(value)
            shown = digits if len(digits) <= 40 else f"{digits[:20]}...({len(digits)} digits)"
            return (f"field '{path}' holds the integer {shown}, outside 64 bits; store it as "
                    "a string to carry it")
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return f"field '{path}' holds NaN, which is not a JSON number (RFC 8259)"
        if math.isinf(value):
            return (f"field '{path}' holds Infinity or a number beyond float range, which "
                    "a float cannot carry")
        return None
    if depth >= MAX_NESTING:
        return f"field '{path}' is nested deeper than {MAX_NESTING} levels"
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if _SURROGATE.search(key):
                return f"key '{where}' holds a lone surrogate, which is not Unicode"
            problem = value_problem(item, where, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = value_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    return f"field '{path}' holds a {type(value).__name__}"


def arrow_type(value: Any) -> pa.DataType:
    """The Arrow type of one parsed JSON value (integers past int64 are uint64)."""
    if value is None:
        return pa.null()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.uint64() if value > _INT64_HIGH else pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, list):
        item = pa.null()
        for element in value:
            item = merged_type(item, arrow_type(element))
        return pa.list_(item)
    return pa.struct([pa.field(key, arrow_type(item)) for key, item in value.items()])


def merged_type(first: pa.DataType, second: pa.DataType) -> pa.DataType:
    """The type holding both (raises pa.ArrowTypeError / ArrowInvalid when none does)."""
    if first == second:
        return first
    if pa.types.is_null(first):
        return second
    if pa.types.is_null(second):
        return first
    return pa.unify_schemas([pa.schema([("v", first)]), pa.schema([("v", second)])],
                            promote_options="permissive").field("v").type


def same_value(original: Any, carried: Any) -> bool:
    """Whether `carried` (read back from Arrow) is `original`: equal values, a missing key
    equal to null (Arrow fills a field a record lacks with null)."""
    if isinstance(original, dict):
        if not isinstance(carried, dict):
            return False
        return all(same_value(original.get(key), carried.get(key))
                   for key in original.keys() | carried.keys())
    if isinstance(original, list):
        return isinstance(carried, list) and len(original) == len(carried) and \
            all(same_value(a, b) for a, b in zip(original, carried))
    if isinstance(original, bool) or isinstance(carried, bool):
        return type(original) is type(carried) and original == carried
    return original == carried and (original is None) == (carried is None)


def records_table(records: list[dict],
                  reject: Callable[[int, str], None]) -> Optional[pa.Table]:
    """A table of `records` holding every field any of them has, in order of first
    appearance. A record whose values the table would not hold unchanged (a type that
    conflicts with earlier records', an integer a float column would round) is passed to
    `reject(index, reason)` and left out. Returns None when no record is left."""
    try:
        column = pa.array(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        column = None
    kept = list(range(len(records)))
    if column is None:
        kind: pa.DataType = pa.struct([])
        kept = []
        for index, record in enumerate(records):
            try:
                kind = merged_type(kind, arrow_type(record))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                reject(index, _conflict_reason(records, kept, record, exc))
                continue
            kept.append(index)
        if not kept:
            return None
        try:
            column = pa.array([records[i] for i in kept], type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            # a value the unified type cannot take (an integer past 2**53 in a float field)
            return _one_by_one(records, kept, kind, reject)
    table = pa.Table.from_struct_array(column)
    back = table.to_pylist()
    lost = [position for position, index in enumerate(kept)
            if not same_value(records[index], back[position])]
    if not lost:
        return table
    for position in lost:
        reject(kept[position], _change_reason(records[kept[position]], back[position]))
    lost_set = set(lost)
    remaining = [index for position, index in enumerate(kept) if position not in lost_set]
    if not remaining:
        return None
    return records_table_subset(records, remaining, reject)


def records_table_subset(records, indexes, reject):
    """records_table over a subset, mapping rejected indexes back."""
    subset = [records[i] for i in indexes]
    return records_table(subset, lambda i, reason: reject(indexes[i], reason))


def _one_by_one(records, kept, kind, reject):
    good = []
    for index in kept:
        try:
            pa.array([records[index]], type=kind)
            good.append(index)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            reject(index, _unholdable_reason(records[index], kind, exc))
    if not good:
        return None
    return records_table_subset(records, good, reject)


def _unholdable_reason(record: dict, kind: pa.StructType, exc: Exception) -> str:
    for key, value in record.items():
        field_type = kind.field(key).type
        try:
            pa.array([value], type=field_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            return (f"field '{key}' holds {_short(value)}, which its type in this block "
                    f"({field_type}, set by the other records) cannot hold exactly: {error}")
    return f"a value cannot be held by the block's types {kind}: {exc}"


def _conflict_reason(records, kept, record, exc) -> str:
    for key, value in record.items():
        if value is None:
            continue
        for index in kept:
            other = records[index].get(key)
            if other is None:
                continue
            try:
                merged_type(arrow_type(other), arrow_type(value))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return (f"field '{key}' is {_json_kind(value)} here but "
                        f"{_json_kind(other)} in an earlier record of the block (one type "
                        "per field)")
    return f"its fields' types conflict with earlier records of the block: {exc}"


def _change_reason(original: dict, carried: dict) -> str:
    for key in original:
        if not same_value(original[key], carried.get(key)):
            return (f"field '{key}' would change from {_short(original[key])} to "
                    f"{_short(carried.get(key))} (the block's other records make its type "
                    "one that cannot hold it exactly)")
    return "its values would change when carried"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def float_risk(table: pa.Table) -> bool:
    """Whether a table Arrow's JSON reader built may hold a float that stood for something
    else in the text: a non-finite value (NaN, Infinity) or an integral one of 2**53 or
    more (an integer literal it rounded). A float column's other values are what the text
    said (an integer below 2**53 in a column with fractions is held exactly)."""
    return any(_suspect_floats(chunk) for column in table.columns for chunk in column.chunks)


def _suspect_floats(array: pa.Array) -> bool:
    kind = array.type
    if pa.types.is_floating(kind):
        values = array.fill_null(0).to_numpy(zero_copy_only=False)
        return bool((~np.isfinite(values)).any() or
                    ((np.abs(values) >= 2.0**53) & (values == np.floor(values))).any())
    if pa.types.is_struct(kind):
        return any(_suspect_floats(array.field(i)) for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _suspect_floats(array.flatten())
    return False


def too_deep(block: bytes) -> bool:
    """Whether a line of `block` nests deeper than MAX_NESTING (Arrow's JSON reader must
    not see it: it recurses, and crashes the process past some ten thousand levels). A
    line cannot nest deeper than it has opening brackets; those are counted per line only
    when the block's total leaves room for a line with more than the limit, and only
    such lines are scanned."""
    opens = block.count(b"{") + block.count(b"[")
    if opens <= MAX_NESTING:
        return False
    raw = np.frombuffer(block, dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(raw == 10) + 1])
    starts = starts[starts < len(raw)]
    # every line that starts with a bracket holds at least one
    bracketed = int(np.isin(raw[starts], (91, 123)).sum())
    if opens - max(bracketed - 1, 0) <= MAX_NESTING:
        return False
    open_at = np.flatnonzero((raw == 91) | (raw == 123))
    per_line = np.bincount(np.searchsorted(starts, open_at, side="right") - 1,
                           minlength=len(starts))
    ends = np.concatenate([starts[1:], [len(raw)]])
    return any(nesting(block[starts[line]:ends[line]]) > MAX_NESTING
               for line in np.flatnonzero(per_line > MAX_NESTING))


def nesting(line: bytes) -> int:
    """How deep the arrays and objects of one JSON text nest (brackets inside strings do
    not count)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(line):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def is_valid(table: pa.Table) -> bool:
    """Whether Arrow's own checks pass: its JSON reader builds an invalid list array from
    some inputs (`[null, "0"]` in pyarrow 26), which would crash whatever reads it."""
    try:
        table.validate(full=True)
        return True
    except pa.ArrowInvalid:
        return False


def invalid_utf8_rows(table: pa.Table) -> dict[int, str]:
    """Row index -> reason, for rows where a string column (at any depth) is not valid
    UTF-8. Parquet and Arrow IPC readers do not check it; such bytes cannot be carried
    into JSONL and are not text in Parquet either."""
    try:
        table.validate(full=True)
        return {}
    except pa.ArrowInvalid:
        pass
    bad: dict[int, str] = {}
    for name in table.column_names:
        column = table.column(name)
        try:
            column.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        for index in _invalid_positions(column):
            bad.setdefault(index, f"field '{name}' is not valid UTF-8")
    return bad


def _invalid_positions(column) -> list[int]:
    """Positions of invalid values, found by halving (few bad rows among many)."""
    found: list[int] = []
    pending = [(0, len(column))]
    while pending:
        start, length = pending.pop()
        try:
            column.slice(start, length).validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        if length == 1:
            found.append(start)
            continue
        half = length // 2
        pending += [(start + half, length - half), (start, half)]
    return sorted(found)


def empty_object_rows(table: pa.Table) -> dict[int, str]:
    """Row index -> field, for rows holding an empty object ({}) at any depth: a struct
    type without fields, which Parquet cannot write. Only columns whose type has such a
    struct are looked at."""
    bad: dict[int, str] = {}
    for field in table.schema:
        if not _has_empty_struct(field.type):
            continue
        for index, value in enumerate(table.column(field.name).to_pylist()):
            if _holds_empty_object(value):
                bad.setdefault(index, field.name)
    return bad


def without_empty_structs(table: pa.Table) -> pa.Table:
    """`table` with every field-less struct type made the null type, which Parquet can
    write; call it once no row holds an empty object (the values are all null there)."""
    for index, field in enumerate(table.schema):
        if _has_empty_struct(field.type):
            kind = _null_for_empty(field.type)
            table = table.set_column(index, pa.field(field.name, kind),
                                     pa.array(table.column(index).to_pylist(), type=kind))
    return table


def _null_for_empty(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_struct(kind):
        if kind.num_fields == 0:
            return pa.null()
        return pa.struct([kind.field(i).with_type(_null_for_empty(kind.field(i).type))
                          for i in range(kind.num_fields)])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_null_for_empty(kind.value_type))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(_null_for_empty(kind.value_type), kind.list_size)
    if pa.types.is_map(kind):
        return pa.map_(kind.key_type, _null_for_empty(kind.item_type))
    return kind


def _has_empty_struct(kind: pa.DataType) -> bool:
    if pa.types.is_struct(kind):
        return kind.num_fields == 0 or any(_has_empty_struct(kind.field(i).type)
                                           for i in range(kind.num_fields))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
            pa.types.is_fixed_size_list(kind):
        return _has_empty_struct(kind.value_type)
    if pa.types.is_map(kind):
        return _has_empty_struct(kind.item_type)
    return False


def _holds_empty_object(value: Any) -> bool:
    if isinstance(value, dict):
        return not value or any(_holds_empty_object(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_empty_object(item) for item in value)
    if isinstance(value, tuple):
        return any(_holds_empty_object(item) for item in value)
    return False
