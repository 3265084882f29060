"""MinHash signatures and LSH bands, vectorized, bit-identical to `datasketch.MinHash` for the
same seed, permutations and hashes, in two of its schemes: "legacy" (the one Data-Juicer
uses: (a*h + b) mod (2**61 - 1), low 32 bits) and "affine32" (datasketch's default since 2.0:
fmix32(h), then a*h + b mod 2**32; bijective, and several times faster)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from juicer.text.shingles import Shingles, fmix64_array

MERSENNE_PRIME = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
_U64 = np.uint64
_BLOCK_VALUES = 1 << 19  # permutation values per block: a few MB, stays in cache
SCHEMES = ("legacy", "affine32")


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's legacy permutations (a, b), drawn in its order from RandomState(seed)."""
    generator = np.random.RandomState(seed)
    pairs = np.array([(generator.randint(1, MERSENNE_PRIME, dtype=_U64),
                       generator.randint(0, MERSENNE_PRIME, dtype=_U64))
                      for _ in range(num_perm)], dtype=_U64)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


@lru_cache(maxsize=8)
def affine32_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations: odd multipliers and offsets below 2**32."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def signatures(shingles: Shingles, num_perm: int, seed: int,
               scheme: str = "legacy") -> np.ndarray:
    """One row of `num_perm` uint32 values per document, the min over its shingles of each
    permutation. Documents without shingles keep the maximum value."""
    if scheme == "affine32":
        return _affine32_signatures(shingles, num_perm, seed)
    return _legacy_signatures(shingles, num_perm, seed)


def _affine32_signatures(shingles: Shingles, num_perm: int, seed: int) -> np.ndarray:
    """min of (a * fmix32(h mod 2**32) + b) mod 2**32, all in uint32."""
    a, b = affine32_permutations(num_perm, seed)
    a, b = a[:, None], b[:, None]
    result = np.full((num_perm, shingles.count), MAX_HASH, dtype=np.uint32)
    block = max(64, 2 * _BLOCK_VALUES // num_perm)
    product = np.empty((num_perm, block), dtype=np.uint32)
    with np.errstate(over="ignore"):
        hashes = fmix32(shingles.hashes.astype(np.uint32))
        for start, values, doc in _blocks(hashes, shingles.doc, block):
            x = product[:, :len(values)]
            np.multiply(a, values[None, :], out=x)
            x += b
            _segment_min(result, x, doc)
    return np.ascontiguousarray(result.T)


def _blocks(hashes: np.ndarray, docs: np.ndarray, block: int):
    for start in range(0, len(hashes), block):
        yield start, hashes[start:start + block], docs[start:start + block]


def _segment_min(result: np.ndarray, values: np.ndarray, doc: np.ndarray) -> None:
    """Fold each document's columns of `values` into its column of `result` by min."""
    segments = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    ids = doc[segments]
    result[:, ids] = np.minimum(result[:, ids], np.minimum.reduceat(values, segments, axis=1))


def _legacy_signatures(shingles: Shingles, num_perm: int, seed: int) -> np.ndarray:
    """min of ((a * h + b) mod 2**64 mod (2**61 - 1)) & (2**32 - 1), as datasketch computes
    it (the product wraps at 64 bits there too)."""
    a, b = permutations(num_perm, seed)
    a, b = a[:, None], b[:, None]
    prime, low32, shift, one = _U64(MERSENNE_PRIME), _U64(MAX_HASH), _U64(61), _U64(1)
    result = np.full((num_perm, shingles.count), MAX_HASH, dtype=_U64)
    block = max(64, _BLOCK_VALUES // num_perm)
    product = np.empty((num_perm, block), dtype=_U64)
    folded = np.empty((num_perm, block), dtype=_U64)
    with np.errstate(over="ignore"):
        for start, values, doc in _blocks(shingles.hashes, shingles.doc, block):
            x, y = product[:, :len(values)], folded[:, :len(values)]
            np.multiply(a, values[None, :], out=x)
            x += b
            # x mod (2**61 - 1) without a division: fold the high bits onto the low ones,
            # then subtract the prime once if the sum reached it.
            np.bitwise_and(x, prime, out=y)
            np.right_shift(x, shift, out=x)
            y += x
            np.add(y, one, out=x)
            np.right_shift(x, shift, out=x)
            y += x
            y &= low32
            _segment_min(result, y, doc)
    return np.ascontiguousarray(result.T).astype(np.uint32)


def band_keys(signature: np.ndarray, num_bands: int, rows_per_band: int) -> np.ndarray:
    """A 64-bit key per (document, band): equal keys mean equal band values (up to a 2**-64
    chance, which verification catches). Shape (documents, bands)."""
    docs = signature.shape[0]
    keys = np.empty((docs, num_bands), dtype=_U64)
    with np.errstate(over="ignore"):
        for band in range(num_bands):
            key = np.full(docs, (band + 1) * 0x9E3779B97F4A7C15 & ((1 << 64) - 1), dtype=_U64)
            for column in range(band * rows_per_band, (band + 1) * rows_per_band):
                key = fmix64_array(key ^ signature[:, column].astype(_U64)) + _U64(column)
            keys[:, band] = key
    return keys


def optimal_param(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                  false_negative_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimizing the weighted false positive and negative probability, as
    datasketch's `_optimal_param`. Its integrands are polynomials of degree bands*rows <=
    num_perm, so Gauss-Legendre quadrature with num_perm/2 + 1 nodes is exact."""
    pairs = np.array([(b, r) for b in range(1, num_perm + 1)
                      for r in range(1, num_perm // b + 1)], dtype=np.float64)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(low: float, high: float, false_positive: bool) -> np.ndarray:
        s = (high - low) / 2 * nodes + (high + low) / 2
        hit = 1 - (1 - s[None, :] ** rows) ** bands
        curve = hit if false_positive else 1 - hit
        return (curve * weights).sum(axis=1) * (high - low) / 2

    error = (integral(0.0, threshold, True) * false_positive_weight
             + integral(threshold, 1.0, False) * false_negative_weight)
    best = pairs[int(np.argmin(error))]
    return int(best[0]), int(best[1])
