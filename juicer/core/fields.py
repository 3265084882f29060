"""Text at a path inside a record, for operators' `text_key`: `output`, `meta.title`,
`messages[-1].content` (the last message), `conversations[0].value`, `messages[*].content`
(every message, joined by newlines), `messages[role=user][0].content` (the first of the
messages whose role is user). Values are read and written as whole Arrow arrays; a
`[key=value]` selection is read only.

A field name that exists as a column is always that column, even with dots in it. A path
that leads nowhere in a row (no last message, a null struct) reads as null, which filters
see as empty text; mappers write only where the path exists, and not through `[*]`.
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.errors import OperatorError

_STEP = re.compile(r"\.([^.\[\]]+)|\[(-?\d+|\*)\]|\[([^\]=]+)=([^\]]*)\]")


def is_path(table: pa.Table, field: str) -> bool:
    return field not in table.column_names and ("." in field or "[" in field)


def column_of(field: str, columns) -> str:
    """The column that holds `field` (a column name, or the head of a path)."""
    return field if field in columns or not ("." in field or "[" in field) else parse(field)[0]


def parse(path: str) -> tuple[str, list]:
    """(column, steps): a step is a field name (str), an index (int), '*' or a selection
    of list elements (key, value)."""
    head = re.match(r"[^.\[\]]+", path)
    if not head:
        raise OperatorError(f"'{path}' is not a field path; write e.g. messages[-1].content")
    steps, position = [], head.end()
    for match in _STEP.finditer(path, position):
        if match.start() != position:
            break
        name, index, key, wanted = match.groups()
        steps.append(name if name is not None else (key, wanted) if key is not None else
                     "*" if index == "*" else int(index))
        position = match.end()
    if position != len(path):
        raise OperatorError(f"'{path}' is not a field path: cannot read '{path[position:]}'; "
                            "write e.g. messages[-1].content, meta.title or messages[*].content")
    return head.group(0), steps


def text_values(table: pa.Table, field: str) -> pa.Array:
    """The strings at `field` (a column or a path), one per row, null where absent."""
    if not is_path(table, field):
        column = table.column(field)
        return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    column, steps = parse(field)
    if column not in table.column_names:
        raise OperatorError(f"field '{column}' (of the path '{field}') is not in the data; "
                            f"columns: {', '.join(table.column_names)}")
    values = table.column(column).combine_chunks()
    offsets = None  # after [*]: list offsets into `values`
    for step in steps:
        if step == "*":
            if offsets is not None:
                raise OperatorError(f"'{field}': one [*] per path")
            _require_list(values, field)
            offsets, missing, values = _offsets(values), values.is_null(), values.values
        elif isinstance(step, str):
            values = _struct_field(values, step, field)
        elif isinstance(step, tuple):
            if offsets is not None:
                raise OperatorError(f"'{field}': a [key=value] selection after [*] is not "
                                    "supported")
            values = _selected(values, step, field)
        else:
            if offsets is not None:
                raise OperatorError(f"'{field}': an index after [*] is not supported")
            positions = _element_positions(values, step, field)
            values = values.values.take(positions)
    if offsets is not None:  # a null part reads as empty, a null list as null
        values = pc.binary_join(pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()), pc.fill_null(values.cast(pa.string()), ""),
            mask=missing), "\n")
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            or pa.types.is_null(values.type)):
        raise OperatorError(f"'{field}' holds {values.type}, not text")
    return values.cast(pa.string())


def with_text(table: pa.Table, field: str, text: pa.Array) -> pa.Table:
    """`table` with the strings at `field` replaced by `text` (where the path exists)."""
    if not is_path(table, field):
        index = table.schema.get_field_index(field)
        return table.set_column(index, field, text)
    column, steps = parse(field)
    if any(isinstance(step, tuple) for step in steps):
        raise OperatorError(f"'{field}': a mapper cannot rewrite through a [key=value] "
                            "selection; give an index such as messages[-1].content")
    if "*" in steps:
        raise OperatorError(f"'{field}': a mapper cannot rewrite through [*] (the joined text "
                            "has no one place to go); give an index such as [-1]")
    index = table.schema.get_field_index(column)
    updated = _set(table.column(column).combine_chunks(), steps, text,
                   np.ones(len(text), dtype=bool), field)
    return table.set_column(index, column, updated)


def _set(values: pa.Array, steps: list, text: pa.Array, rows: np.ndarray, field: str):
    """`values` with the path `steps` set to text (for the rows where `rows`)."""
    if not steps:
        replaced = text.cast(values.type) if not pa.types.is_null(values.type) else text
        return pc.if_else(pa.array(rows), replaced, values)
    step, rest = steps[0], steps[1:]
    if isinstance(step, str):
        child = _struct_field(values, step, field)
        children = [_set(child, rest, text, rows, field) if values.type.field(i).name == step
                    else pc.struct_field(values, [i]) for i in range(values.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(values.type),
                                          mask=values.is_null())
    chosen = _element_positions(values, step, field)
    present = chosen.is_valid().to_numpy(zero_copy_only=False)
    positions = chosen.fill_null(0).to_numpy()
    where = np.flatnonzero(present & rows)
    taken = values.values.take(pa.array(positions[where]))
    new = _set(taken, rest, text.take(pa.array(where)), np.ones(len(where), dtype=bool), field)
    order = np.arange(len(values.values))
    order[positions[where]] = len(values.values) + np.arange(len(where))
    child = pa.concat_arrays([values.values, new]).take(pa.array(order))
    return pa.ListArray.from_arrays(pa.array(_offsets(values), pa.int32()), child,
                                    mask=values.is_null())


def _selected(values: pa.Array, selection: tuple[str, str], field: str) -> pa.Array:
    """Each list with only its elements whose `key` equals `value` (as text)."""
    _require_list(values, field)
    key, wanted = selection
    offsets = _offsets(values)
    items = values.values.slice(offsets[0], offsets[-1] - offsets[0])
    keys = _struct_field(items, key, field)
    chosen = pc.fill_null(pc.equal(keys.cast(pa.string()), wanted), False).to_numpy(
        zero_copy_only=False)
    counts = np.concatenate([[0], np.cumsum(chosen)])
    return pa.ListArray.from_arrays(pa.array(counts[offsets - offsets[0]], pa.int32()),
                                    items.filter(pa.array(chosen)), mask=values.is_null())


def _struct_field(values: pa.Array, name: str, field: str) -> pa.Array:
    if not pa.types.is_struct(values.type) or values.type.get_field_index(name) < 0:
        raise OperatorError(f"'{field}': no field '{name}' there ({values.type})")
    return pc.struct_field(values, name)


def _require_list(values: pa.Array, field: str) -> None:
    if not (pa.types.is_list(values.type) or pa.types.is_large_list(values.type)):
        raise OperatorError(f"'{field}': an index needs a list, not {values.type}")


def _offsets(values: pa.Array) -> np.ndarray:
    return values.offsets.to_numpy().astype(np.int64)


def _element_positions(values: pa.Array, index: int, field: str) -> pa.Array:
    """Positions in `values.values` of element `index` of each list (negative from the end),
    null where the list is null or too short."""
    _require_list(values, field)
    offsets = _offsets(values)
    lengths = np.diff(offsets)
    chosen = index if index >= 0 else lengths + index
    valid = (chosen >= 0) & (chosen < lengths) & values.is_valid().to_numpy(zero_copy_only=False)
    return pa.array(offsets[:-1] + np.where(valid, chosen, 0), pa.int64(), mask=~valid)


def record_value(record: dict, path: str):
    """The value at `path` in one record (a dict), or None; `[*]` joins strings."""
    column, steps = parse(path)
    values, joined = [record.get(column)], False
    for step in steps:
        if step == "*":
            if not any(isinstance(value, list) for value in values):
                return None
            values = [item for value in values if isinstance(value, list) for item in value]
            joined = True
        elif isinstance(step, str):
            values = [value.get(step) if isinstance(value, dict) else None for value in values]
        elif isinstance(step, tuple):
            key, wanted = step
            values = [[item for item in value if isinstance(item, dict)
                       and str(item.get(key)) == wanted] if isinstance(value, list) else None
                      for value in values]
        else:
            values = [value[step] if isinstance(value, list) and -len(value) <= step < len(value)
                      else None for value in values]
    if joined:
        return "\n".join(v if isinstance(v, str) else "" for v in values)
    return values[0]
