"""Mix curated datasets by weight (`juicer mix a.yaml:0.6 b/:0.4 --tokens 1e9 -o mix/`).

Each source is a recipe (its output's data/), a folder or a file. Its share of the mix is
measured in documents, or in tokens of a tokenizer. Documents are drawn without
replacement in an order fixed by the seed and each document's row id, so the same command
gives the same mix; the realized shares are written to OUT/mix_report.json. Without a total,
the mix is as large as the weights allow without repeating documents.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pyarrow as pa

from juicer.core.batch import ROW_ID
from juicer.errors import JuicerError
from juicer.core.fields import text_values
from juicer.core.row_ids import priorities

PART_ROWS = 100_000
SOURCE_FIELD = "mix_source"


@dataclass
class Source:
    label: str
    paths: list[str]
    weight: float
    text_field: Optional[str] = None  # None: the mix's


def parse_source(spec: str) -> Source:
    """'PATH:WEIGHT[:TEXT_FIELD]': a recipe .yaml (its output, measured by its text field), a
    folder or a file."""
    parts = spec.rsplit(":", 2)
    field = None
    if len(parts) == 3 and not _is_number(parts[2]):
        path, weight, field = parts
    else:
        path, _, weight = spec.rpartition(":")
    if not _is_number(weight):
        raise JuicerError(f"'{spec}': write a source as PATH:WEIGHT[:TEXT_FIELD], e.g. "
                          "web.yaml:0.6 or alpaca.jsonl:0.2:output")
    if not path or float(weight) <= 0:
        raise JuicerError(f"'{spec}': a source needs a path and a weight above 0")
    paths, recipe_field = _resolve(path)
    return Source(path, paths, float(weight), field or recipe_field)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _resolve(path: str) -> tuple[list[str], Optional[str]]:
    if path.endswith((".yaml", ".yml")):
        from juicer.recipe import load_recipe

        recipe = load_recipe(path)
        data = os.path.join(recipe.output.path, "data")
        if not os.path.isdir(data):
            raise JuicerError(f"'{path}' has not been run: its output {data} does not exist",
                              hint=f"juicer process {path}")
        return [data], recipe.input.text_field
    return [path], None


def _fill(sizes: np.ndarray, budget: float) -> np.ndarray:
    """Which documents (in draw order) fill the budget: the longest prefix that fits, then
    later ones that still fit, in order (so one long document does not end a source's share
    early)."""
    taken = np.zeros(len(sizes), dtype=bool)
    prefix = int(np.searchsorted(np.cumsum(sizes), budget, side="right"))
    taken[:prefix] = True
    room = budget - sizes[:prefix].sum()
    smallest = sizes[prefix:].min() if prefix < len(sizes) else None
    for index in range(prefix, len(sizes)):
        if smallest is None or room < smallest:
            break
        if sizes[index] <= room:
            taken[index] = True
            room -= sizes[index]
    return taken


def mix(sources: Sequence[Source], output: str, *, documents: Optional[int] = None,
        tokens: Optional[int] = None, tokenizer: str = "cl100k_base", seed: int = 0,
        text_field: str = "text", fmt: str = "parquet",
        source_field: Optional[str] = SOURCE_FIELD) -> dict:
    """Write the mix into `output`/data/ and its report into `output`/mix_report.json.
    Documents are interleaved in an order fixed by the seed (a trainer reading the files
    in order sees every source throughout), each with its source's label in
    `source_field` (None or "": no such column)."""
    from juicer.corpus.stats import tables_with_files
    from juicer.io.writers import TableWriter, conform, unify, write_json

    if documents is not None and tokens is not None:
        raise JuicerError("give the mix's size in documents or in tokens, not both")
    counter = None
    if tokens is not None:
        from juicer.models.token_counters import load

        counter = load(tokenizer)
    total_weight = sum(s.weight for s in sources)
    shares = [s.weight / total_weight for s in sources]
    # pass 1: every document's row id, draw order and size, per source
    drawn = []
    for index, source in enumerate(sources):
        salt = np.int64(priorities(np.array([seed * 1000 + index]))[0])
        ids, sizes, field = [], [], source.text_field or text_field
        for table, _, _ in tables_with_files(source.paths, field):
            if table is None or table.num_rows == 0:
                continue
            ids.append(table.column(ROW_ID).to_numpy())
            sizes.append(counter.count([t or "" for t in text_values(table, field).to_pylist()])
                         if counter else np.ones(table.num_rows, dtype=np.int64))
        if not ids:
            raise JuicerError(f"source '{source.label}' has no document with a text in "
                              f"'{field}'", hint="name its text field: "
                              f"{source.label}:{source.weight}:FIELD")
        ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        sizes = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
        order = np.lexsort((ids, priorities(ids ^ salt)))
        drawn.append((ids[order], sizes[order]))
    available = [int(sizes.sum()) for _, sizes in drawn]
    if not any(available):
        raise JuicerError("the sources hold no documents")
    target = documents if documents is not None else tokens
    if target is None:  # as large as the scarcest source allows at its weight
        target = min(a / s for a, s in zip(available, shares))
    chosen, report_sources = [], []
    for source, share, (ids, sizes), have in zip(sources, shares, drawn, available):
        budget = share * target * (1 + 1e-12)  # a source meant in full is not missed by rounding
        taken = _fill(sizes, budget)
        chosen.append(np.sort(ids[taken]))
        report_sources.append({"source": source.label, "weight": source.weight,
                               "requested_share": round(share, 6),
                               "available": have, "taken_documents": int(taken.sum()),
                               "taken": int(sizes[taken].sum()),
                               "short": bool(have < budget)})
    taken_total = sum(s["taken"] for s in report_sources)
    for entry in report_sources:
        entry["realized_share"] = round(entry["taken"] / max(taken_total, 1), 6)
    # pass 2: gather the chosen documents, then interleave them by a seeded draw key
    data = os.path.join(output, "data")
    os.makedirs(data, exist_ok=True)
    pieces, keys = [], []
    mix_salt = np.int64(priorities(np.array([seed * 1000 + 999]))[0])
    for index, (source, ids) in enumerate(zip(sources, chosen)):
        for table, _, _ in tables_with_files(source.paths, source.text_field or text_field):
            if table is not None and table.num_rows:
                keep = np.isin(table.column(ROW_ID).to_numpy(), ids)
                if not keep.any():
                    continue
                piece = table.filter(pa.array(keep))
                row_ids = piece.column(ROW_ID).to_numpy()
                # the same row id in two sources draws a different place
                keys.append(np.stack([priorities(row_ids ^ mix_salt ^ np.int64(index + 1)),
                                      np.full(len(row_ids), index), row_ids]))
                piece = piece.drop_columns([ROW_ID])
                if source_field:
                    if source_field in piece.column_names:
                        raise JuicerError(
                            f"source '{source.label}' already has a field '{source_field}'",
                            hint="name the mix's source column otherwise "
                            "(--source-field NAME), or leave it out (--source-field '')")
                    piece = piece.append_column(source_field, pa.array(
                        [source.label] * piece.num_rows, pa.string()))
                pieces.append(piece)
    schema = unify([p.schema for p in pieces])
    files = []
    if pieces:
        mixed = pa.concat_tables([conform(p, schema) for p in pieces])
        draw = np.concatenate(keys, axis=1)
        mixed = mixed.take(pa.array(np.lexsort((draw[2], draw[1], draw[0]))))
        for number, start in enumerate(range(0, mixed.num_rows, PART_ROWS)):
            path = os.path.join(data, f"part-{number:05d}.{'parquet' if fmt == 'parquet' else 'jsonl'}")
            with TableWriter(path, fmt, "zstd", schema) as writer:
                writer.write(mixed.slice(start, PART_ROWS))
            files.append(path)
    report = {"unit": "tokens" if counter else "documents",
              "tokenizer": counter.name if counter else None, "target": int(round(target)),
              "total": taken_total, "seed": seed, "source_field": source_field or None,
              "sources": report_sources, "files": files}
    write_json(report, os.path.join(output, "mix_report.json"))
    return report
