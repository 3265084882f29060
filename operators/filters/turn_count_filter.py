from __future__ import annotations

from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class TurnCountFilter(Filter):
    """Keep dialogues whose number of turns (user or `human` messages: one question and its
    answer make one turn) lies in [min_turns, max_turns]. Reads OpenAI `messages` (role
    `user`) or ShareGPT `conversations` (from `human`), whichever the data has."""

    name = "turn_count_filter"
    stats = {"num_turns": pa.int64()}

    class Params(RangeParams):
        _range = ("min_turns", "max_turns")
        min_turns: int = Field(1, ge=0, description="Fewest turns a kept dialogue has.")
        max_turns: int = Field(MAX_INT, ge=0, description="Most turns a kept dialogue has.")
        dialogue_key: Optional[str] = Field(
            None, description="The list of messages (default: messages or conversations).")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        from juicer.corpus.instruct import dialogue_column

        if len(batch) == 0:
            return {"num_turns": pa.array([], pa.int64())}
        column, speaker, openers = dialogue_column(batch.table.column_names,
                                                   self.params.dialogue_key)
        dialogues = batch.table.column(column).combine_chunks()
        lengths = pc.fill_null(pc.list_value_length(dialogues), 0).to_numpy(zero_copy_only=False)
        if not pa.types.is_struct(dialogues.type.value_type):  # no message at all (list<null>)
            return {"num_turns": pa.array(np.zeros(len(batch), dtype=np.int64))}
        speakers = pc.struct_field(dialogues.values, speaker)
        opens = pc.fill_null(pc.is_in(speakers, pa.array(openers)), False)
        opens = opens.to_numpy(zero_copy_only=False).astype(np.int64)
        offsets = dialogues.offsets.to_numpy().astype(np.int64)
        totals = np.concatenate([[0], np.cumsum(opens)])
        turns = totals[offsets[1:]] - totals[offsets[:-1]]
        return {"num_turns": pa.array(np.where(lengths > 0, turns, 0))}

    def rules(self):
        return range_rules(self.params, "num_turns", "min_turns", "max_turns")
