"""Rewriting documents word by word as Data-Juicer does: lines, then tab-separated parts,
then space-separated words; removed words take their separator with them, and lines or
parts left empty disappear (so blank lines and repeated spaces are removed too)."""
from __future__ import annotations

from typing import Callable

import pyarrow as pa


def keep_words(text: pa.Array, keep: Callable[[str], bool]) -> pa.Array:
    return pa.array([_rewrite(value, keep) for value in text.to_pylist()], pa.string())


def _rewrite(document: str, keep: Callable[[str], bool]) -> str:
    lines = []
    for line in document.split("\n"):
        parts = []
        for part in line.split("\t"):
            words = [word for word in part.split(" ") if word and keep(word)]
            if words:
                parts.append(" ".join(words))
        if parts:
            lines.append("\t".join(parts))
    return "\n".join(lines)
