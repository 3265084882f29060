"""MinHash signatures and LSH bands, vectorized, bit-identical to `datasketch.MinHash`
(scheme "legacy", the one Data-Juicer uses) for the same seed, permutations and hashes."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from juicer.shingles import Shingles, fmix64_array

MERSENNE_PRIME = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
_U64 = np.uint64
_BLOCK_VALUES = 1 << 19  # permutation values per block: a few MB, stays in cache


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's legacy permutations (a, b), drawn in its order from RandomState(seed)."""
    generator = np.random.RandomState(seed)
    pairs = np.array([(generator.randint(1, MERSENNE_PRIME, dtype=_U64),
                       generator.randint(0, MERSENNE_PRIME, dtype=_U64))
                      for _ in range(num_perm)], dtype=_U64)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def signatures(shingles: Shingles, num_perm: int, seed: int) -> np.ndarray:
    """One row of `num_perm` values per document: min over its shingles of
    ((a * h + b) mod 2**64 mod (2**61 - 1)) & (2**32 - 1), as datasketch computes it
    (the product wraps at 64 bits there too). Documents without shingles keep MAX_HASH."""
    a, b = permutations(num_perm, seed)
    a, b = a[:, None], b[:, None]
    prime, low32, shift, one = _U64(MERSENNE_PRIME), _U64(MAX_HASH), _U64(61), _U64(1)
    result = np.full((num_perm, shingles.count), MAX_HASH, dtype=_U64)
    block = max(64, _BLOCK_VALUES // num_perm)
    product = np.empty((num_perm, block), dtype=_U64)
    folded = np.empty((num_perm, block), dtype=_U64)
    hashes, docs = shingles.hashes, shingles.doc
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), block):
            values, doc = hashes[start:start + block], docs[start:start + block]
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
            segments = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
            ids = doc[segments]
            result[:, ids] = np.minimum(result[:, ids], np.minimum.reduceat(y, segments, axis=1))
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
