"""Mergeable summaries of a statistic: count, sum, moments, min/max and a relative-error
quantile sketch (log-spaced buckets, as DDSketch), for all documents and for kept ones.

Per-shard summaries merge into the run's report in any order and on any executor: merging
adds bucket counts, so quantiles do not depend on how the data was sharded.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Optional, Sequence

import numpy as np

from juicer.core.samples import Categories, Samples

# 0.2%: ratio statistics crowd into a narrow range (0.9..1.0) where a coarser sketch gives a
# handful of bins and p95 = p99
RELATIVE_ACCURACY = 0.002
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
# magnitudes down to about 1e-17 keep buckets of their own (smaller ones share the lowest)
_KEY_OFFSET = math.ceil(40 / _LOG_GAMMA)
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
HISTOGRAM_BINS = 40
UNBOUNDED = 1e15  # thresholds beyond this (sys.maxsize defaults) bound nothing
LOG_SCALE_SPREAD = 30  # p99/p1 above which a positive stat is binned on a log scale


def is_bound(value) -> bool:
    """Whether a threshold is a number that bounds something (not a bool, None, infinite
    or a sys.maxsize default)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        abs(value) < UNBOUNDED


def bound_values(thresholds) -> list[float]:
    """The bounds among thresholds (a range counts both ends), as floats."""
    return [float(value) for threshold in thresholds
            for value in (threshold if isinstance(threshold, (list, tuple)) else [threshold])
            if is_bound(value)]


def _bucket_keys(values: np.ndarray) -> np.ndarray:
    """Bucket of each value: 0 for 0, +k for positive, -k for negative (k >= 1)."""
    magnitude = np.abs(values)
    keys = np.zeros(len(values), dtype=np.int64)
    nonzero = magnitude > 0
    # offset so the smallest representable magnitudes still get k >= 1
    keys[nonzero] = np.ceil(np.log(magnitude[nonzero]) / _LOG_GAMMA).astype(np.int64) + _KEY_OFFSET
    keys = np.maximum(keys, np.where(nonzero, 1, 0))
    return np.where(values < 0, -keys, keys)


def _bucket_value(key: int) -> float:
    if key == 0:
        return 0.0
    magnitude = 2 * _GAMMA ** (abs(key) - _KEY_OFFSET) / (_GAMMA + 1)
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

    def histogram_range(self, marks: Sequence[float] = ()) -> tuple[float, float]:
        """p1..p99 (min..max when they coincide): a few outliers must not squeeze the
        whole distribution into one bin. Values outside count in the end bins. The range
        widens to take in `marks` (thresholds) that lie among the values, so a threshold
        is drawn where it falls; one beyond every value bounds nothing and stays out."""
        if self.count == 0:
            return 0.0, 0.0
        low, high = self.quantile(0.01), self.quantile(0.99)
        if high <= low:
            low, high = self.min, self.max
        for mark in marks:
            if self.min <= mark <= self.max:
                low, high = min(low, mark), max(high, mark)
        return low, high

    def edges(self, marks: Sequence[float] = ()) -> tuple[list[float], bool]:
        """Bin edges over histogram_range, and whether they are log-spaced (positive,
        long-tailed stats: lengths, counts). Bins are at most HISTOGRAM_BINS and no
        narrower than the sketch's buckets (else bins between two bucket values stay
        empty: a comb, not a distribution)."""
        if self.count == 0:
            return [], False
        low, high = self.histogram_range(marks)
        if high == low:
            return [low, high], False
        if low > 0 and high / low > LOG_SCALE_SPREAD:
            bins = int(min(max(math.log(high / low) / (2.2 * _LOG_GAMMA), 1), HISTOGRAM_BINS))
            return [low * (high / low) ** (i / bins) for i in range(bins + 1)], True
        resolution = 2.2 * RELATIVE_ACCURACY * max(abs(low), abs(high))
        bins = int(min(max((high - low) / resolution, 1), HISTOGRAM_BINS))
        return [low + i * (high - low) / bins for i in range(bins + 1)], False

    @staticmethod
    def histogram(buckets: Counter, edges: list[float]) -> list[int]:
        counts = [0] * max(len(edges) - 1, 1)
        if len(edges) < 2 or edges[0] == edges[-1]:
            counts[0] = sum(buckets.values())
            return counts
        inner = np.asarray(edges[1:-1])
        for key, n in buckets.items():
            counts[int(np.searchsorted(inner, _bucket_value(key), side="right"))] += n
        return counts

    def to_json(self, marks: Sequence[float] = ()) -> dict[str, Any]:
        """`marks`: the thresholds the histogram should take in."""
        mean = self.total / self.count if self.count else None
        variance = max(self.total_sq / self.count - mean * mean, 0.0) if self.count else None
        low, high = self.histogram_range(marks)
        edges, log = self.edges(marks)
        return {
            "count": self.count, "mean": mean,
            "std": math.sqrt(variance) if variance is not None else None,
            "min": self.min, "max": self.max,
            "quantiles": {f"p{round(q * 100)}": self.quantile(q) for q in QUANTILES},
            # the first and last bins also hold the values below p1 and above p99
            "histogram": {"edges": edges, "all": self.histogram(self.buckets, edges),
                          "kept": self.histogram(self.kept_buckets, edges),
                          "clamped": bool(self.count) and (low > self.min or high < self.max),
                          "scale": "log" if log else "linear"},
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
        self.categories: dict[str, Categories] = {}  # label stats (languages)
        self.samples: dict[str, Samples] = {}  # "drop:<rule>" and "changed" documents
        # documents failing each rule (first or not), and failing two rules at once:
        # "rule\tstep:other_rule" -> documents (the other rule of this step or an earlier one)
        self.rule_fails: Counter = Counter()
        self.overlap: Counter = Counter()

    def sample(self, key: str, k: int) -> Samples:
        return self.samples.setdefault(key, Samples(k))

    def category(self, stat: str) -> Categories:
        return self.categories.setdefault(stat, Categories())

    def summary(self, stat: str) -> Summary:
        return self.stats.setdefault(stat, Summary())

    def merge(self, other: "StepMetrics") -> "StepMetrics":
        for attr in ("docs_in", "docs_out", "chars_in", "chars_out", "changed", "seconds"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.drops.update(other.drops)
        self.extra.update(other.extra)
        self.rule_fails.update(other.rule_fails)
        self.overlap.update(other.overlap)
        for name, summary in other.stats.items():
            self.summary(name).merge(summary)
        for name, categories in other.categories.items():
            self.category(name).merge(categories)
        for key, samples in other.samples.items():
            self.sample(key, samples.k).merge(samples)
        return self

    def to_state(self) -> dict:
        return {"docs_in": self.docs_in, "docs_out": self.docs_out, "chars_in": self.chars_in,
                "chars_out": self.chars_out, "changed": self.changed, "seconds": self.seconds,
                "drops": dict(self.drops), "extra": dict(self.extra),
                "rule_fails": dict(self.rule_fails), "overlap": dict(self.overlap),
                "stats": {k: v.to_state() for k, v in self.stats.items()},
                "categories": {k: v.to_state() for k, v in self.categories.items()},
                "samples": {k: v.to_state() for k, v in self.samples.items()}}

    @classmethod
    def from_state(cls, state: dict) -> "StepMetrics":
        metrics = cls()
        for attr in ("docs_in", "docs_out", "chars_in", "chars_out", "changed", "seconds"):
            setattr(metrics, attr, state[attr])
        metrics.drops = Counter(state["drops"])
        metrics.extra = Counter(state["extra"])
        metrics.rule_fails = Counter(state.get("rule_fails", {}))
        metrics.overlap = Counter(state.get("overlap", {}))
        metrics.stats = {k: Summary.from_state(v) for k, v in state["stats"].items()}
        metrics.categories = {k: Categories.from_state(v)
                              for k, v in state.get("categories", {}).items()}
        metrics.samples = {k: Samples.from_state(v) for k, v in state.get("samples", {}).items()}
        return metrics
