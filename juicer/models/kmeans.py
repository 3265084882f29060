"""Spherical k-means over unit vectors, and the pairs within each cluster whose cosine
similarity reaches a threshold (SemDeDup's two steps, for `semantic_deduplicator`).

Deterministic: k-means++ seeding from a seeded generator over the vectors in the order
given (callers sort them by row id), fixed chunking, so the same vectors give the same
clusters and pairs on every run.

On a GPU (`xp` = cupy, juicer/models/devices.py) the products run there: assigning points to
centroids and comparing within clusters. Seeding and the centroid sums stay on the host,
where their order of additions is fixed (a GPU's scatter-add is not).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from juicer.models.devices import to_host

_CHUNK = 1 << 15  # rows per similarity block: memory stays bounded by chunk x points
_SEEDING_SAMPLE = 20  # k-means++ runs on at most this many points per cluster


def fit(vectors: np.ndarray, k: int, iterations: int, seed: int, xp: Any = np) -> np.ndarray:
    """The cluster of every vector (rows of `vectors`, unit length)."""
    count = len(vectors)
    k = min(k, count)
    if k <= 1:
        return np.zeros(count, np.int64)
    rng = np.random.default_rng(seed)
    centroids = _seed(vectors, k, rng)
    labels = np.full(count, -1, np.int64)
    on_device = xp.asarray(vectors)
    for _ in range(iterations):
        new = assign(on_device, centroids, xp)
        if np.array_equal(new, labels):
            break
        labels = new
        sums = np.zeros_like(centroids, dtype=np.float64)
        np.add.at(sums, labels, vectors)
        norms = np.linalg.norm(sums, axis=1)
        filled = norms > 0  # an empty cluster keeps its centroid
        centroids[filled] = (sums[filled] / norms[filled, None]).astype(np.float32)
    return labels


def _seed(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ (D^2 weighting, cosine distance) on a sample of the vectors."""
    count = len(vectors)
    sample = vectors if count <= k * _SEEDING_SAMPLE else \
        vectors[np.sort(rng.choice(count, k * _SEEDING_SAMPLE, replace=False))]
    chosen = [int(rng.integers(len(sample)))]
    distance = 1 - sample @ sample[chosen[0]]
    for _ in range(1, k):
        weights = np.clip(distance, 0, None).astype(np.float64)
        total = weights.sum()
        pick = int(rng.choice(len(sample), p=weights / total)) if total > 0 else \
            int(rng.integers(len(sample)))
        chosen.append(pick)
        distance = np.minimum(distance, 1 - sample @ sample[pick])
    return sample[chosen].astype(np.float32).copy()


def assign(vectors, centroids: np.ndarray, xp: Any = np) -> np.ndarray:
    """The nearest centroid of each vector (`vectors` on the device of `xp`)."""
    labels = np.empty(len(vectors), np.int64)
    toward = xp.asarray(centroids).T
    for start in range(0, len(vectors), _CHUNK):
        labels[start:start + _CHUNK] = to_host(
            xp.argmax(vectors[start:start + _CHUNK] @ toward, axis=1))
    return labels


def similar_pairs(vectors: np.ndarray, labels: np.ndarray, threshold: float,
                  xp: Any = np) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j, in the same cluster, cosine(vectors[i], vectors[j]) >= threshold."""
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    left, right = [], []
    for members in np.split(order, bounds):
        if len(members) < 2:
            continue
        members = np.sort(members)
        group = xp.asarray(vectors[members])
        block = max(1, _CHUNK * 64 // len(members))
        for start in range(0, len(members), block):
            similarity = group[start:start + block] @ group.T
            i, j = (to_host(index) for index in xp.nonzero(similarity >= np.float32(threshold)))
            i = i + start
            later = j > i
            left.append(members[i[later]])
            right.append(members[j[later]])
    if not left:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(left), np.concatenate(right)
