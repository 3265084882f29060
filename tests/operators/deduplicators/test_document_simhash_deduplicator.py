"""SimHash dedup: the hash is the per-bit majority of shingle hashes, and the block index
finds every pair within the Hamming distance (checked against all pairs)."""
from __future__ import annotations

import random

import numpy as np
import pytest

import juicer
from juicer.text.shingles import rolling64, shingle_hashes
from juicer_operators.deduplicators.document_simhash_deduplicator import hamming, simhashes
from tests.operators.deduplicators.test_document_minhash_deduplicator import edited
from tests.operators.helpers import cluster_firsts

OP = "document_simhash_deduplicator"


def reference_simhash(text: str, window: int) -> int:
    words = [w for w in text.split(" ") if w]
    if len(words) < window:
        shingles = [" ".join(words).encode()]
    else:
        shingles = [" ".join(words[i:i + window]).encode() for i in range(len(words) - window + 1)]
    votes = [0] * 64
    for shingle in shingles:  # every occurrence votes, as in Data-Juicer
        value = rolling64(shingle)
        for bit in range(64):
            votes[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if votes[bit] > 0)


def test_simhash_is_the_bitwise_majority_of_shingle_hashes(sample_texts):
    texts = [t.lower() for t in sample_texts[:80]] + ["a b c", "x"]
    ours = simhashes(shingle_hashes(texts, "space", 6))
    assert [int(v) for v in ours] == [reference_simhash(t, 6) for t in texts]


@pytest.fixture(scope="module")
def rows(sample_rows):
    rng = random.Random(5)
    base = [r["text"] for r in sample_rows if len(r["text"].split(" ")) >= 60][:200]
    rows = [{"id": f"doc{i}", "text": t} for i, t in enumerate(base)]
    for k in range(30):
        rows.insert(rng.randrange(len(rows) + 1),
                    {"id": f"copy{k}", "text": edited(base[k * 5], 0.01, rng)})
    return rows


@pytest.mark.parametrize("blocks, distance", [(6, 4), (4, 3), (8, 2)])
def test_finds_exactly_the_pairs_within_the_distance(rows, blocks, distance):
    hashes = [int(h) for h in simhashes(shingle_hashes([r["text"].lower() for r in rows],
                                                       "space", 6))]
    firsts = cluster_firsts(len(rows),
                            lambda i, j: bin(hashes[i] ^ hashes[j]).count("1") <= distance)
    expected = [r["id"] for r, first in zip(rows, firsts) if first]
    kept = juicer.apply(rows, juicer.operator(OP, num_blocks=blocks, hamming_distance=distance,
                                              tokenization="space"))
    assert [r["id"] for r in kept] == expected
    assert len(expected) < len(rows)


def test_hamming_distance_must_be_below_blocks():
    with pytest.raises(Exception, match="must be less than num_blocks"):
        juicer.operator(OP, num_blocks=4, hamming_distance=4)


def test_hamming_counts_bits():
    a = np.array([0, 0xFF, 2**64 - 1], dtype=np.uint64)
    b = np.array([0, 0x0F, 0], dtype=np.uint64)
    assert hamming(a, b).tolist() == [0, 4, 64]
