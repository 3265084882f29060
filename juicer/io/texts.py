"""All texts of a field in JSONL/Parquet files, for training models from a corpus."""
from __future__ import annotations

from typing import Sequence

from juicer.errors import JuicerError


def corpus_texts(paths: Sequence[str], text_field: str = "text") -> list[str]:
    """The non-empty texts of `text_field` in JSONL/Parquet files or folders, read by
    Juicer's readers (any format `juicer process` reads); a bad record stops with its file
    and line."""
    from juicer.io.shards import expand_paths, split_into_shards
    from juicer.io.readers import read_shard

    texts = []
    for shard in split_into_shards(expand_paths(list(paths)), 2**62):
        for result in read_shard(shard, text_field):
            if result.quarantine:
                bad = result.quarantine[0]
                where = f"line {bad['line']}" if bad.get("line") is not None else f"row {bad.get('row')}"
                raise JuicerError(f"{bad['file']} {where}: {bad['error']}")
            if result.table is not None:
                texts += [t for t in result.table.column(text_field).to_pylist() if t and t.strip()]
    if not texts:
        raise JuicerError(f"no texts in field '{text_field}' of {', '.join(map(str, paths))}")
    return texts
