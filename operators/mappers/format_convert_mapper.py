from __future__ import annotations

from typing import Literal, Optional

import pyarrow as pa
from pydantic import Field

from juicer.corpus import instruct
from juicer.core.batch import Batch
from juicer.errors import OperatorError
from juicer.core.operator import Mapper, OpParams

Layout = Literal["alpaca", "sharegpt", "messages", "query_response"]


class FormatConvertMapper(Mapper):
    """Convert instruction records between layouts inside a recipe: Alpaca
    (`instruction`/`input`/`output`), ShareGPT (`conversations` of `from`/`value`), OpenAI
    `messages` (`role`/`content`) and query/response (`query`, `response`, `history`,
    `system`), the same conversion as `juicer convert` (juicer/corpus/instruct.py). The source
    layout is detected from the fields unless `source` names it; the other fields are kept.

    The layout's fields are written as fixed columns (`system` is null when a record has
    none), so the output schema does not depend on the records of a shard. A record with no
    form in the target layout (a multi-turn dialogue as Alpaca, turns that do not alternate)
    is quarantined with the reason; the rest of its batch goes on.

    The document's text moves: the steps after this one read the target layout's answer
    (`messages[-1].content`, `conversations[-1].value`, `output`, `response`) unless they
    name a `text_key`, and the report samples it. `text_key` of this step is not used."""

    name = "format_convert_mapper"

    class Params(OpParams):
        to: Layout = Field("messages", description="Layout to convert to.")
        source: Optional[Layout] = Field(None, description="Layout of the input (none: "
                                         "detected from each batch's fields).")

    def text_key_after(self) -> Optional[str]:
        return instruct.ANSWER_PATHS[self.params.to]

    def process(self, batch: Batch, text_field: str) -> pa.Table:
        table = batch.table
        source = self.params.source or instruct.detect(table.column_names)
        if table.num_rows == 0:  # the target layout's columns, for the steps after this one
            return self._in_layout(table, source, [])
        if source is None:
            raise OperatorError(
                f"the records are in no known instruction layout (fields: "
                f"{', '.join(n for n in table.column_names if not n.startswith('__'))})"
                f"; give format_convert_mapper's source: {', '.join(instruct.LAYOUTS)}")
        if source == self.params.to:
            return table
        records = table.to_pylist()
        converted = [instruct.from_messages(instruct.to_messages(record, source),
                                            self.params.to, record, source)
                     for record in records]
        return self._in_layout(table, source, converted)

    def _in_layout(self, table: pa.Table, source: Optional[str], converted: list[dict]):
        """`table` without the source layout's fields, with the target's from `converted`."""
        replaced = instruct.layout_fields(source) if source else ()
        out = table.select([name for name in table.column_names if name not in replaced])
        for name, column_type in instruct.layout_columns(self.params.to):
            values = pa.array([record.get(name) for record in converted], column_type)
            if name in out.column_names:  # a field of the target layout the source lacks
                out = out.drop_columns([name])
            out = out.append_column(pa.field(name, column_type), values)
        return out
