"""Look at the input's fields before a run, cheaply: a text field that no input has is a
mistake in the recipe (exit 2 naming the fields there are), not a run that quarantines
every record. Parquet and Arrow schemas come from their footers; JSONL and CSV from their
first records."""
from __future__ import annotations

import csv
import json
import re
from typing import Optional

from juicer.errors import RefusedError
from juicer.io import fs
from juicer.io.shards import detect_format
from juicer.io.records import open_stream

PROBED_FILES = 8
PROBED_RECORDS = 100
_TOP_FIELD = re.compile(r"^[^.\[]+")


def fields_of(path: str) -> Optional[list[str]]:
    """The field names of one input file, or None when its format has no named fields (plain
    text, WARC: Juicer names the text column itself) or it cannot be looked at."""
    kind = detect_format(path) or ""
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            with fs.open_binary(path) as handle:
                return pq.ParquetFile(handle).schema_arrow.names
        if kind == "arrow":
            import pyarrow as pa

            with fs.arrow_source(path) as source:
                head = source.read(6)
                source.seek(0)
                reader = pa.ipc.open_file(source) if head == b"ARROW1" else pa.ipc.open_stream(source)
                return reader.schema.names
        if kind.startswith("jsonl"):
            return _jsonl_fields(path)
        if kind in ("csv", "tsv"):
            with open_stream(path) as stream:
                header = stream.read(2**16).split(b"\n", 1)[0].decode("utf-8", "replace")
            delimiter = "\t" if kind == "tsv" else ","
            return next(csv.reader([header.rstrip("\r")], delimiter=delimiter), [])
    except Exception:  # noqa: BLE001 - damage is the readers' to report, record by record
        return None
    return None


def _jsonl_fields(path: str) -> Optional[list[str]]:
    names: dict[str, None] = {}
    seen = 0
    with open_stream(path) as stream:
        data = stream.read(2**20)
    for line in data.split(b"\n")[:PROBED_RECORDS]:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            names.update(dict.fromkeys(record))
            seen += 1
    return list(names) if seen else None


def check_text_field(files: list[str], text_field: Optional[str]) -> None:
    """Refuse a text field that none of the first input files has (a wrong
    `input.text_field` or `text_key`), naming the fields they do have."""
    if not text_field or not files:
        return
    wanted = _TOP_FIELD.match(text_field).group()
    first_fields = None
    for path in files[:PROBED_FILES]:
        names = fields_of(path)
        if names is None:
            return  # a format without named fields, or one that cannot be looked at
        if wanted in names:
            return
        if first_fields is None:
            first_fields = (path, names)
    path, names = first_fields
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    close = [name for name in names if name.lower() in (wanted.lower(), "text", "content")]
    hint = f"set input.text_field: {close[0]}" if close else \
        "set input.text_field to the field that holds the documents' text"
    raise RefusedError(f"input.text_field '{text_field}': no field '{wanted}' in {path} "
                       f"(its fields: {shown or 'none'})", hint=hint)
