"""Report material that merges like the metrics: a few sample documents and the counts of
label stats (languages), the same whatever the sharding, worker count or merge order.

A sample keeps the k entries whose priority (a hash of the row id) is lowest: each shard
offers its candidates, merging keeps the k lowest of the union, so the run's sample is the
k lowest of all candidates wherever they were found. A deterministic pseudo-random pick.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Callable, Optional

import numpy as np
import pyarrow as pa

from juicer.core.fields import text_values
from juicer.core.row_ids import priorities

TEXT_LIMIT = 600  # characters of a sample document shown in the report
DIFF_CONTEXT = 160  # characters kept before a mapper's first change
DIFF_LIMIT = 1200  # characters of each side of a mapper's before/after
KEPT_SAMPLES = 20  # kept documents shown in the report
FIELD_LIMIT = 200  # characters of each other field of a kept sample
MAX_CATEGORIES = 200  # a label stat with more distinct values is not counted


class Samples:
    """Up to `k` payloads (dicts) of the lowest-priority rows offered."""

    def __init__(self, k: int, entries: Optional[list] = None):
        self.k = k
        self.entries: list[tuple[int, int, dict]] = entries or []  # (priority, row id, payload)

    def offer(self, row_ids: np.ndarray, payload: Callable[[int], dict]) -> None:
        """Offer rows; `payload(i)` builds the entry of row i only when it is picked."""
        row_ids = np.asarray(row_ids, dtype=np.int64)
        if len(row_ids) == 0:
            return
        prio = priorities(row_ids)
        if len(self.entries) >= self.k:  # only rows that beat the current k-th can enter
            worst = max(self.entries)[:2]
            candidates = np.flatnonzero((prio < worst[0]) | ((prio == worst[0]) & (row_ids < worst[1])))
        else:
            candidates = np.arange(len(row_ids))
        if len(candidates) > self.k:
            candidates = candidates[np.lexsort((row_ids[candidates], prio[candidates]))[:self.k]]
        for index in candidates.tolist():
            self.entries.append((int(prio[index]), int(row_ids[index]), payload(index)))
        self._trim()

    def merge(self, other: "Samples") -> "Samples":
        self.entries.extend(other.entries)
        self._trim()
        return self

    def _trim(self) -> None:
        self.entries = sorted(self.entries, key=lambda e: e[:2])[:self.k]

    def payloads(self) -> list[dict]:
        """The picked entries in row-id order (input order)."""
        return [{"row": row, **payload} for _, row, payload in sorted(self.entries, key=lambda e: e[1])]

    def to_state(self) -> dict:
        return {"k": self.k, "entries": [list(e) for e in self.entries]}

    @classmethod
    def from_state(cls, state: dict) -> "Samples":
        return cls(state["k"], [(e[0], e[1], e[2]) for e in state["entries"]])


class Categories:
    """Counts of a label stat's values for all documents and for those the step kept.
    Stops counting (`overflow`) past MAX_CATEGORIES distinct values: a free-text stat."""

    def __init__(self) -> None:
        self.all: Counter = Counter()
        self.kept: Counter = Counter()
        self.overflow = False

    def add(self, values: pa.Array, keep: Optional[np.ndarray]) -> None:
        if self.overflow:
            return
        labels = np.asarray(values.fill_null("(none)").to_pylist(), dtype=object)
        self.all.update(labels.tolist())
        if keep is not None:
            self.kept.update(labels[np.asarray(keep, dtype=bool)].tolist())
        self._check()

    def merge(self, other: "Categories") -> "Categories":
        self.overflow = self.overflow or other.overflow
        if not self.overflow:
            self.all.update(other.all)
            self.kept.update(other.kept)
            self._check()
        return self

    def _check(self) -> None:
        # overflows exactly when the whole run has too many values, however it is sharded
        if len(self.all) > MAX_CATEGORIES:
            self.overflow = True
            self.all, self.kept = Counter(), Counter()

    def to_json(self) -> dict:
        if self.overflow:
            return {"overflow": True}
        order = sorted(self.all, key=lambda k: (-self.all[k], k))
        return {"all": {k: self.all[k] for k in order}, "kept": {k: self.kept[k] for k in order}}

    def to_state(self) -> dict:
        return {"all": dict(self.all), "kept": dict(self.kept), "overflow": self.overflow}

    @classmethod
    def from_state(cls, state: dict) -> "Categories":
        categories = cls()
        categories.all, categories.kept = Counter(state["all"]), Counter(state["kept"])
        categories.overflow = state["overflow"]
        return categories


def clip(text: Optional[str], limit: int = TEXT_LIMIT) -> Optional[str]:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + " …"


def change_window(before: str, after: str) -> dict:
    """Both sides of a mapper's change, from a little before the first difference."""
    start = max(len(os.path.commonprefix([before, after])) - DIFF_CONTEXT, 0)
    return {"offset": start, "before": clip(before[start:], DIFF_LIMIT),
            "after": clip(after[start:], DIFF_LIMIT)}


def offer_kept(samples: Samples, table: pa.Table, text_field: str) -> None:
    """Sample candidates among the documents a run keeps: their text and short fields."""
    from juicer.core.batch import ROW_ID, STATS

    others = [name for name in table.column_names
              if name not in (ROW_ID, STATS, text_field) and not name.startswith("__")][:4]

    def payload(i: int) -> dict:
        fields = {}
        for name in others:
            value = table.column(name)[i].as_py()
            if isinstance(value, (str, int, float, bool)):
                fields[name] = clip(value, FIELD_LIMIT) if isinstance(value, str) else value
        return {"text": clip(text_values(table, text_field)[i].as_py()), "fields": fields}
    if table.num_rows:
        samples.offer(table.column(ROW_ID).to_numpy(), payload)
