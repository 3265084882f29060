"""Mergeable summaries of a statistic: count, sum, moments, min/max and a relative-error
quantile sketch (log-spaced buckets, as DDSketch), for all documents and for kept ones.

Per-shard summaries merge into the run's report in any order and on any executor: merging
adds bucket counts, so quantiles do not depend on how the data was sharded.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Optional

import numpy as np

RELATIVE_ACCURACY = 0.01
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
HISTOGRAM_BINS = 30


def _bucket_keys(values: np.ndarray) -> np.ndarray:
    """Bucket of each value: 0 for 0, +k for positive, -k for negative (k >= 1)."""
    magnitude = np.abs(values)
    keys = np.zeros(len(values), dtype=np.int64)
    nonzero = magnitude > 0
    # offset so the smallest representable magnitudes still get k >= 1
    keys[nonzero] = np.ceil(np.log(magnitude[nonzero]) / _LOG_GAMMA).astype(np.int64) + 2000
    keys = np.maximum(keys, np.where(nonzero, 1, 0))
    return np.where(values < 0, -keys, keys)


def _bucket_value(key: int) -> float:
    if key == 0:
        return 0.0
    magnitude = 2 * _GAMMA ** (abs(key) - 2000) / (_GAMMA + 1)
    return magnitude if key > 0 else -magnitude


class Summary:
    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.total_sq = 0.0
        self.min: Optional[float] = None
        self.max: Optional[float] = None
        self.buckets: Counter = Counter()
        self.kept_buckets: Counter = Counter()

    def add(self, values: np.ndarray, kept: Optional[np.ndarray] = None) -> None:
        values = np.asarray(values, dtype=np.float64)
        values = values[~np.isnan(values)]
        if len(values) == 0:
            return
        self.count += len(values)
        self.total += float(values.sum())
        self.total_sq += float(np.square(values).sum())
        lo, hi = float(values.min()), float(values.max())
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        keys = _bucket_keys(values)
        self.buckets.update(dict(zip(*map(np.ndarray.tolist, np.unique(keys, return_counts=True)))))
        if kept is not None and kept.any():
            kept_keys = keys[np.asarray(kept, dtype=bool)[: len(keys)]]
            self.kept_buckets.update(
                dict(zip(*map(np.ndarray.tolist, np.unique(kept_keys, return_counts=True)))))

    def merge(self, other: "Summary") -> "Summary":
        self.count += other.count
        self.total += other.total
        self.total_sq += other.total_sq
        for attr, pick in (("min", min), ("max", max)):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            setattr(self, attr, theirs if mine is None else mine if theirs is None else pick(mine, theirs))
        self.buckets.update(other.buckets)
        self.kept_buckets.update(other.kept_buckets)
        return self

    def quantile(self, q: float) -> Optional[float]:
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.buckets, key=_bucket_value):
            seen += self.buckets[key]
            if seen > rank:
                return min(max(_bucket_value(key), self.min), self.max)
        return self.max

    def histogram(self, buckets: Counter) -> list[int]:
        counts = [0] * HISTOGRAM_BINS
        if self.count == 0 or self.max == self.min:
            counts[0] = sum(buckets.values())
            return counts
        width = (self.max - self.min) / HISTOGRAM_BINS
        for key, n in buckets.items():
            value = min(max(_bucket_value(key), self.min), self.max)
            counts[min(int((value - self.min) / width), HISTOGRAM_BINS - 1)] += n
        return counts

    def to_json(self) -> dict[str, Any]:
        mean = self.total / self.count if self.count else None
        variance = max(self.total_sq / self.count - mean * mean, 0.0) if self.count else None
        edges = ([self.min + i * (self.max - self.min) / HISTOGRAM_BINS
                  for i in range(HISTOGRAM_BINS + 1)] if self.count else [])
        return {
            "count": self.count, "mean": mean,
            "std": math.sqrt(variance) if variance is not None else None,
            "min": self.min, "max": self.max,
            "quantiles": {f"p{round(q * 100)}": self.quantile(q) for q in QUANTILES},
            "histogram": {"edges": edges, "all": self.histogram(self.buckets),
                          "kept": self.histogram(self.kept_buckets)},
        }

    # compact form that crosses process boundaries (JSON-friendly)
    def to_state(self) -> dict:
        return {"count": self.count, "total": self.total, "total_sq": self.total_sq,
                "min": self.min, "max": self.max,
                "buckets": {str(k): v for k, v in self.buckets.items()},
                "kept_buckets": {str(k): v for k, v in self.kept_buckets.items()}}

    @classmethod
    def from_state(cls, state: dict) -> "Summary":
        summary = cls()
        for attr in ("count", "total", "total_sq", "min", "max"):
            setattr(summary, attr, state[attr])
        summary.buckets = Counter({int(k): v for k, v in state["buckets"].items()})
        summary.kept_buckets = Counter({int(k): v for k, v in state["kept_buckets"].items()})
        return summary


class StepMetrics:
    """What one step did to the documents of one shard (or, merged, of the whole run)."""

    def __init__(self) -> None:
        self.docs_in = 0
        self.docs_out = 0
        self.chars_in = 0
        self.chars_out = 0
        self.changed = 0
        self.seconds = 0.0
        self.drops: Counter = Counter()
        self.stats: dict[str, Summary] = {}
        self.extra: Counter = Counter()  # operator-specific counters (clusters, ...)

    def summary(self, stat: str) -> Summary:
        return self.stats.setdefault(stat, Summary())

    def merge(self, other: "StepMetrics") -> "StepMetrics":
        for attr in ("docs_in", "docs_out", "chars_in", "chars_out", "changed", "seconds"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.drops.update(other.drops)
        self.extra.update(other.extra)
        for name, summary in other.stats.items():
            self.summary(name).merge(summary)
        return self

    def to_state(self) -> dict:
        return {"docs_in": self.docs_in, "docs_out": self.docs_out, "chars_in": self.chars_in,
                "chars_out": self.chars_out, "changed": self.changed, "seconds": self.seconds,
                "drops": dict(self.drops), "extra": dict(self.extra),
                "stats": {k: v.to_state() for k, v in self.stats.items()}}

    @classmethod
    def from_state(cls, state: dict) -> "StepMetrics":
        metrics = cls()
        for attr in ("docs_in", "docs_out", "chars_in", "chars_out", "changed", "seconds"):
            setattr(metrics, attr, state[attr])
        metrics.drops = Counter(state["drops"])
        metrics.extra = Counter(state["extra"])
        metrics.stats = {k: Summary.from_state(v) for k, v in state["stats"].items()}
        return metrics
