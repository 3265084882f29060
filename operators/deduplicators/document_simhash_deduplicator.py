from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from juicer.core.batch import ROW_ID, Batch
from juicer.text.shingles import Shingles, fmix64_array
from juicer_operators.deduplicators.shingling import ShingleDeduplicator, ShingleParams

_BITS = np.arange(64, dtype=np.uint64)


class DocumentSimhashDeduplicator(ShingleDeduplicator):
    """Drop near-duplicates whose 64-bit SimHashes differ in at most `hamming_distance` bits.

    The SimHash of a document is the bitwise majority vote of its shingles' 64-bit hashes
    (each occurrence votes), as in Data-Juicer. Candidates are found without comparing all
    pairs: the 64 bits are cut into `num_blocks` blocks, and two hashes within the distance
    agree exactly on at least `num_blocks - hamming_distance` of them, so documents meet in
    a bucket for every such combination of blocks; each candidate pair's true distance is
    then checked. Clusters are connected components of the matching pairs, keeping the
    lowest row id."""

    name = "document_simhash_deduplicator"

    class Params(ShingleParams):
        window_size: int = Field(6, ge=1, description="Tokens per shingle.")
        num_blocks: int = Field(6, ge=1, le=64, description="Blocks the 64 bits are cut into.")
        hamming_distance: int = Field(
            4, ge=0, description="Maximum number of differing bits between near-duplicates; "
            "must be less than num_blocks.")

        @model_validator(mode="after")
        def _distance_below_blocks(self):
            if self.hamming_distance >= self.num_blocks:
                raise ValueError(f"hamming_distance ({self.hamming_distance}) must be less "
                                 f"than num_blocks ({self.num_blocks})")
            return self

    def setup(self) -> None:
        super().setup()
        edges = np.linspace(0, 64, self.params.num_blocks + 1).round().astype(int)
        block_masks = [sum(1 << bit for bit in range(lo, hi)) for lo, hi in zip(edges, edges[1:])]
        keep = self.params.num_blocks - self.params.hamming_distance
        self.masks = np.array([sum(combination) for combination in
                               itertools.combinations(block_masks, keep)], dtype=np.uint64)

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        shingles = self.shingles(batch.text(self.text_field(text_field)).to_pylist())
        has = shingles.has_shingles()
        hashes = simhashes(shingles)[has]
        row_ids = batch.table.column(ROW_ID).to_numpy()[has]
        combos = len(self.masks)
        with np.errstate(over="ignore"):
            keys = fmix64_array((hashes[:, None] & self.masks[None, :])
                                ^ (np.arange(combos, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
        return pa.table({"key_hash": pa.array(keys.ravel(), pa.uint64()),
                         ROW_ID: pa.array(np.repeat(row_ids, combos), pa.int64()),
                         "simhash": pa.array(np.repeat(hashes, combos), pa.uint64())})

    def candidate_pairs(self, signatures: pa.Table) -> pa.Table:
        import polars as pl

        frame = pl.from_arrow(signatures.select(["key_hash", "simhash", ROW_ID]))
        # equal hashes: each joins the first document that has it
        first = frame.with_columns(pl.col(ROW_ID).min().over("simhash").alias("first"))
        equal = first.filter(pl.col(ROW_ID) != pl.col("first")).select(
            pl.col(ROW_ID), pl.col("first").alias("duplicate_of"))
        # distinct hashes sharing a bucket: compare every pair in the bucket
        distinct = first.filter(pl.col(ROW_ID) == pl.col("first")).select(
            "key_hash", "simhash", ROW_ID).unique()
        joined = distinct.join(distinct, on="key_hash", suffix="_other").filter(
            pl.col(f"{ROW_ID}_other") < pl.col(ROW_ID))
        near = hamming(joined["simhash"].to_numpy(), joined["simhash_other"].to_numpy()) <= \
            self.params.hamming_distance
        close = joined.filter(pl.Series(near)).select(
            pl.col(ROW_ID), pl.col(f"{ROW_ID}_other").alias("duplicate_of"))
        return pl.concat([equal, close]).unique().to_arrow()


def simhashes(shingles: Shingles, block: int = 1 << 15) -> np.ndarray:
    """Per document, bit j is set when more of its shingle hashes have bit j set than not."""
    votes = np.zeros((64, shingles.count), dtype=np.int64)
    hashes, docs = shingles.hashes, shingles.doc
    for start in range(0, len(hashes), block):
        values, doc = hashes[start:start + block], docs[start:start + block]
        bits = ((values[None, :] >> _BITS[:, None]) & np.uint64(1)).astype(np.int32) * 2 - 1
        segments = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        np.add.at(votes, (slice(None), doc[segments]), np.add.reduceat(bits, segments, axis=1))
    return ((votes > 0).astype(np.uint64) << _BITS[:, None]).sum(axis=0, dtype=np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of differing bits of each pair of 64-bit values."""
    x = np.asarray(a, dtype=np.uint64) ^ np.asarray(b, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
