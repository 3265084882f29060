from __future__ import annotations

import hashlib
import re
import string

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import ROW_ID, Batch
from juicer.engine.dedup import pairs_with_group_first
from juicer.core.operator import DedupParams, Deduplicator

_NON_CHARACTER = re.compile(rf"\s+|\d+|[{re.escape(string.punctuation)}]")


class DocumentDeduplicator(Deduplicator):
    """Drop exact duplicates across the whole dataset, keeping the first (lowest row id).

    Documents are compared by the MD5 of their stripped text, optionally lowercased and with
    whitespace, digits and ASCII punctuation removed, as in Data-Juicer's operator."""

    name = "document_deduplicator"

    class Params(DedupParams):
        lowercase: bool = Field(False, description="Compare texts lowercased.")
        ignore_non_character: bool = Field(
            False, description="Ignore whitespace, digits and ASCII punctuation when comparing.")

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        lowercase, ignore = self.params.lowercase, self.params.ignore_non_character
        digests = bytearray()
        for text in batch.text(self.text_field(text_field)).to_pylist():
            if lowercase:
                text = text.lower()
            if ignore:
                text = _NON_CHARACTER.sub("", text)
            digests += hashlib.md5(text.strip().encode("utf-8")).digest()
        raw = np.frombuffer(bytes(digests), dtype=np.uint8)
        key_hash = raw.reshape(-1, 16)[:, :8].copy().view("<u8").ravel() if len(raw) else \
            np.zeros(0, dtype=np.uint64)
        digest = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(16), len(batch), [None, pa.py_buffer(bytes(digests))])
        return pa.table({"key_hash": pa.array(key_hash, pa.uint64()), "digest": digest})

    def candidate_pairs(self, signatures: pa.Table) -> pa.Table:
        column = signatures.column("digest").combine_chunks()
        words = np.frombuffer(column.buffers()[1], dtype="<u8")  # two 64-bit words per digest
        digests = words[2 * column.offset:2 * (column.offset + len(column))].reshape(-1, 2)
        return pairs_with_group_first([digests[:, 0].copy(), digests[:, 1].copy()],
                                      signatures.column(ROW_ID).to_numpy())
