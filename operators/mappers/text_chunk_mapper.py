from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import re2
from pydantic import Field, field_validator, model_validator

from juicer.text import regex
from juicer.core.batch import ROW_ID, Batch
from juicer.errors import OperatorError
from juicer.core.operator import Mapper, OpParams

MAX_CHUNKS = 1 << 16  # row ids a document leaves free for its chunks (juicer.io.shards)


class TextChunkMapper(Mapper):
    """Split each document into chunks, one row per chunk, every other field copied
    (Data-Juicer's mapper of this name, for retrieval corpora or length-bounded training):
    - `split_pattern` only: split where the pattern matches, dropping blank pieces;
    - `max_len` only: windows of `max_len` characters, each starting `max_len -
      overlap_len` after the previous one (documents up to `max_len` stay whole);
    - both: cut the first `max_len` characters at the last match of the pattern in them
      (or at `max_len`, then going back `overlap_len`), and go on with the rest.
    A document with no non-blank piece stays as it is (Data-Juicer removes it). Chunk k of
    the document with row id r gets row id r + k, so chunks keep their documents' order
    and later steps (dedup, selection) treat them as documents; `chunk_index_key` also
    writes k into a field. The pattern must be a valid RE2 expression (no lookarounds or
    backreferences) and always runs in RE2, in linear time: split-pattern mode over the
    whole batch through Arrow, the modes with `max_len` (and patterns with groups, whose
    text is kept as Python's split keeps it) document by document through google-re2.
    Token-based lengths (Data-Juicer's `tokenizer`) are not supported yet."""

    name = "text_chunk_mapper"
    splits = True

    class Params(OpParams):
        max_len: Optional[int] = Field(None, gt=0, description="Most characters per chunk.")
        split_pattern: Optional[str] = Field(r"\n\n", description="Where to split (a regular "
                                             "expression).")
        overlap_len: int = Field(0, ge=0, description="Characters repeated from the end of a "
                                 "chunk at the start of the next (with max_len).")
        tokenizer: Optional[str] = Field(None, description="Not supported yet: lengths are "
                                         "characters.")
        chunk_index_key: Optional[str] = Field(None, description="Field to write each "
                                               "chunk's index into (none: not written).")

        @field_validator("tokenizer")
        @classmethod
        def _no_tokenizer(cls, value):
            if value is not None:
                raise ValueError("token-based chunk lengths need a tokenizer, which model "
                                 "operators will bring; leave tokenizer empty (characters)")
            return value

        @model_validator(mode="after")
        def _consistent(self):
            if self.max_len is None and self.split_pattern is None:
                raise ValueError("give max_len, split_pattern or both")
            if self.max_len is not None and self.overlap_len >= self.max_len:
                raise ValueError(f"overlap_len ({self.overlap_len}) must be less than max_len "
                                 f"({self.max_len})")
            if self.split_pattern is not None:
                regex.checked(self.split_pattern, "split_pattern")
            return self

    def process(self, batch: Batch, text_field: str) -> pa.Table:
        field = self.text_field(text_field)
        texts = batch.text(field).to_pylist()
        pattern = re2.compile(regex.checked(self.params.split_pattern)) \
            if self.params.split_pattern is not None else None
        if self.params.max_len is None and pattern.groups == 0:
            chunks = self._split_in_re2(batch.text(field), texts)
        else:
            chunks = [self.chunks(text, pattern) for text in texts]
        counts = np.array([len(c) for c in chunks], dtype=np.int64)
        if counts.max(initial=0) > MAX_CHUNKS:
            worst = int(np.argmax(counts))
            raise OperatorError(f"document {worst} of the batch splits into {counts[worst]:,} "
                                f"chunks, more than {MAX_CHUNKS:,}; raise max_len")
        parents = np.repeat(np.arange(len(texts)), counts)
        table = batch.table.take(pa.array(parents))
        index = np.arange(len(parents)) - np.repeat(np.cumsum(counts) - counts, counts)
        table = table.set_column(table.schema.get_field_index(field), field,
                                 pa.array([c for doc in chunks for c in doc], pa.string()))
        if ROW_ID in table.column_names:
            ids = table.column(ROW_ID).to_numpy() + index
            table = table.set_column(table.schema.get_field_index(ROW_ID), ROW_ID, pa.array(ids))
        if self.params.chunk_index_key:
            # right after the text, not at the end: where input fields missing from some
            # documents land must not depend on how the input was sharded
            table = table.add_column(table.schema.get_field_index(field) + 1,
                                     self.params.chunk_index_key, pa.array(index))
        return table

    def _split_in_re2(self, text: pa.Array, texts: list[str]) -> list[list[str]]:
        """Split-pattern mode over the whole batch in RE2 (linear time); blank pieces go."""
        import pyarrow.compute as pc

        pieces = pc.split_pattern_regex(text, regex.checked(self.params.split_pattern))
        offsets = pieces.offsets.to_numpy()
        values = pieces.flatten().to_pylist()
        out = []
        for index, original in enumerate(texts):
            found = [p for p in values[offsets[index]:offsets[index + 1]] if p.strip()]
            out.append(found or [original])
        return out

    def chunks(self, text: str, pattern) -> list[str]:
        max_len, overlap = self.params.max_len, self.params.overlap_len
        if max_len is None:
            pieces = [piece for piece in pattern.split(text) if piece is not None and piece.strip()]
        elif pattern is None:
            pieces = [text] if len(text) <= max_len else [
                text[start:start + max_len] for start in range(0, len(text), max_len - overlap)]
        else:
            pieces = []
            while len(text) > max_len:
                head = text[:max_len]
                last = None
                for last in pattern.finditer(head):
                    pass
                if last is None or last.end() == 0:
                    current, text = head, text[max_len - overlap:]
                else:
                    current, text = head[:last.start()], text[last.end():]
                if current.strip():
                    pieces.append(current)
            pieces.append(text)
        return pieces or [text]
