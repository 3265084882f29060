"""Look at a corpus before (or after) curating it: count documents, characters and tokens
per field and per group (`juicer count`), and draw a reproducible sample (`juicer sample`).
Both read every format `juicer process` reads, with the same readers."""
from __future__ import annotations

import os
from typing import Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.batch import ROW_ID
from juicer.errors import JuicerError
from juicer.core.row_ids import priorities

PRIORITY = "__priority__"
NO_VALUE = "(none)"


def _tables(paths: Sequence[str], text_field: Optional[str], text_unit: str
            ) -> Iterator[tuple[Optional[pa.Table], int]]:
    """(good records, number of unreadable ones) per block read."""
    for table, bad, _ in tables_with_files(paths, text_field, text_unit):
        yield table, bad


def tables_with_files(paths: Sequence[str], text_field: Optional[str], text_unit: str = "file"
                      ) -> Iterator[tuple[Optional[pa.Table], int, list[str]]]:
    """(good records, number of unreadable ones, the input files by index) per block."""
    from juicer.io.shards import expand_paths, split_into_shards
    from juicer.io.readers import read_shard

    files = expand_paths([str(p) for p in paths])
    for shard in split_into_shards(files, 2**62, text_unit):
        for result in read_shard(shard, text_field):
            yield result.table, len(result.quarantine), files


def count(paths: Sequence[str], *, fields: Sequence[str] = ("text",), by: Optional[str] = None,
          tokenizer: Optional[str] = None, text_unit: str = "file") -> dict:
    """Documents, and per text field its non-null values, characters, UTF-8 bytes and (with
    a tokenizer such as cl100k_base) tokens; in total and per value of the field `by` (e.g.
    lang). A record without the first field, or unreadable, is counted as unreadable."""
    fields = list(fields) or ["text"]
    counter = None
    if tokenizer:
        from juicer.models.token_counters import load

        counter = load(tokenizer)
    totals = _Tally(fields)
    groups: dict[str, _Tally] = {}
    unreadable = 0
    for table, bad in _tables(paths, fields[0], text_unit):
        unreadable += bad
        if table is None or table.num_rows == 0:
            continue
        measures = {name: _measure(table, name, counter) for name in fields}
        totals.add(np.ones(table.num_rows, dtype=bool), measures)
        if by is None:
            continue
        keys = _group_keys(table, by)
        for key in sorted(set(keys)):
            groups.setdefault(key, _Tally(fields)).add(keys == key, measures)
    result = {"documents": totals.documents, "unreadable": unreadable,
              "tokenizer": counter.name if counter else None, "fields": totals.fields()}
    if by is not None:
        ordered = sorted(groups.items(), key=lambda item: (-item[1].documents, item[0]))
        result["by"] = by
        result["groups"] = {key: {"documents": tally.documents, "fields": tally.fields()}
                            for key, tally in ordered}
    return result


def _measure(table: pa.Table, name: str, counter) -> dict[str, np.ndarray]:
    from juicer.core.fields import is_path, text_values

    if name not in table.column_names and not is_path(table, name):
        zeros = np.zeros(table.num_rows, dtype=np.int64)
        return {"present": zeros.astype(bool), "chars": zeros, "bytes": zeros, "tokens": zeros}
    column = text_values(table, name)  # a column, or a path such as messages[-1].content
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise JuicerError(f"field '{name}' is {column.type}, not text: count characters of "
                          "text fields only")
    present = column.is_valid().to_numpy(zero_copy_only=False)
    chars = pc.fill_null(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False)
    size = pc.fill_null(pc.binary_length(column), 0).to_numpy(zero_copy_only=False)
    tokens = np.zeros(table.num_rows, dtype=np.int64)
    if counter is not None:
        tokens = counter.count([text or "" for text in column.to_pylist()])
    return {"present": present, "chars": chars.astype(np.int64), "bytes": size.astype(np.int64),
            "tokens": tokens}


def _group_keys(table: pa.Table, by: str) -> np.ndarray:
    if by not in table.column_names:
        return np.full(table.num_rows, NO_VALUE, dtype=object)
    values = table.column(by).to_pylist()
    return np.array([NO_VALUE if v is None else str(v) for v in values], dtype=object)


class _Tally:
    def __init__(self, fields: list[str]):
        self.documents = 0
        self.sums = {name: {"documents": 0, "chars": 0, "bytes": 0, "tokens": 0}
                     for name in fields}

    def add(self, rows: np.ndarray, measures: dict[str, dict[str, np.ndarray]]) -> None:
        self.documents += int(rows.sum())
        for name, measure in measures.items():
            sums = self.sums[name]
            sums["documents"] += int((measure["present"] & rows).sum())
            for key in ("chars", "bytes", "tokens"):
                sums[key] += int(measure[key][rows].sum())

    def fields(self) -> dict:
        return {name: dict(sums) for name, sums in self.sums.items()}


def sample(paths: Sequence[str], n: int, output: str, *, seed: int = 0,
           text_field: str = "text", text_unit: str = "file") -> dict:
    """Write `n` documents drawn uniformly without replacement to `output` (.jsonl or
    .parquet), in input order. The draw depends only on the documents' positions in the
    input and the seed: the same command gives the same sample."""
    from juicer.io.writers import write_table

    if n < 1:
        raise JuicerError(f"sample size must be at least 1, not {n}")
    fmt = _output_format(output)
    salt = np.int64(priorities(np.array([seed]))[0])
    chosen: list[pa.Table] = []
    held = population = unreadable = 0
    for table, bad in _tables(paths, text_field, text_unit):
        unreadable += bad
        if table is None or table.num_rows == 0:
            continue
        population += table.num_rows
        ranks = priorities(table.column(ROW_ID).to_numpy() ^ salt)
        chosen.append(table.append_column(PRIORITY, pa.array(ranks)))
        held += table.num_rows
        if held > 4 * n:
            chosen = [_lowest(chosen, n)]
            held = n
    picked = _lowest(chosen, n) if chosen else None
    if picked is None or picked.num_rows == 0:
        raise JuicerError(f"no readable documents in {', '.join(map(str, paths))}")
    picked = picked.sort_by(ROW_ID).drop_columns([ROW_ID, PRIORITY])
    write_table(picked, output, fmt)
    return {"population": population, "unreadable": unreadable, "sampled": picked.num_rows,
            "output": output, "seed": seed}


def _lowest(tables: list[pa.Table], n: int) -> pa.Table:
    combined = pa.concat_tables(tables, promote_options="permissive")
    return combined.take(pc.sort_indices(combined, [(PRIORITY, "ascending"),
                                                    (ROW_ID, "ascending")])[:n])


def _output_format(path: str) -> str:
    name = os.fspath(path).lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    raise JuicerError(f"output '{path}': write the sample to a .jsonl, .parquet or .arrow file")
