from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field, field_validator

from juicer.core import expressions
from juicer.core.batch import ROW_ID, STATS, Batch, steps_with_stat
from juicer.errors import OperatorError
from juicer.core.operator import Filter, OpParams, Rule

# Data-Juicer's field prefixes, mapped to where Juicer keeps the same data
_DJ_STATS, _DJ_META = "__dj__stats__", "__dj__meta__"


class GeneralFieldFilter(Filter):
    """Keep documents for which a condition over their fields is true, e.g.
    `10 < meta.score <= 30 and lang in ['en', 'de'] and text != ''`.

    The condition language (juicer/core/expressions.py) is parsed, never run as Python:
    comparisons (chained), `in` / `not in` lists of constants, `and` / `or` / `not`,
    arithmetic, constants, and field names with dots into nested fields. Stats of earlier
    steps are `__stats__.<step_id>.<stat>`; Data-Juicer's `__dj__stats__.<stat>` finds the
    stat in whichever earlier step wrote it, and `__dj__meta__.<key>` reads `meta.<key>` (or `__dj__meta__.<key>` where the data has
    that field). A
    comparison with a missing value is false. Evaluated as one vectorized polars expression
    per batch. Empty condition keeps everything."""

    name = "general_field_filter"
    stats = {"condition": pa.bool_()}

    class Params(OpParams):
        filter_condition: str = Field("", description="The condition a kept document meets.")

        @field_validator("filter_condition")
        @classmethod
        def _parses(cls, value: str) -> str:
            if value.strip():
                expressions.parse(value)
            return value

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        import polars as pl

        condition = self.params.filter_condition
        if not condition.strip():
            return {"condition": pa.array(np.ones(len(batch), dtype=bool))}
        table, used = batch.table, set()

        def column(path):
            expression, name = _column(table, path)
            used.add(name)
            return expression

        expression = expressions.compile_polars(expressions.parse(condition), column)
        # only the fields the condition reads go to polars
        frame = pl.from_arrow(table.select(sorted(used))) if used else pl.DataFrame(
            {"_": np.zeros(len(batch))})
        result = frame.select(expression.alias("condition"))["condition"].to_numpy().astype(bool)
        if len(result) != len(batch):  # a condition over constants only is one value
            result = np.repeat(result[:1], len(batch))
        return {"condition": pa.array(result)}

    def rules(self):
        return [Rule("filter_condition", "condition", "is", True, lambda v: v.astype(bool))]


def _column(table: pa.Table, path: list[str]):
    import polars as pl

    first, *rest = path
    if first == _DJ_META and first not in table.column_names:
        first = "meta"  # Juicer's place for it, unless the data really has the field
    if first == _DJ_STATS:
        if not rest:
            raise OperatorError("__dj__stats__ needs a stat name, e.g. __dj__stats__.text_len")
        first, rest = STATS, [_step_with_stat(table, rest[0]), *rest]
    if first not in table.column_names:
        raise OperatorError(f"field '{first}' in the condition is not in the data; fields: "
                            f"{', '.join(c for c in table.column_names if c != ROW_ID)}")
    expression, kind = pl.col(first), table.schema.field(first).type
    for depth, name in enumerate(rest):
        if not pa.types.is_struct(kind) or kind.get_field_index(name) < 0:
            raise OperatorError(f"'{'.'.join([first, *rest[:depth]])}' has no field '{name}'")
        expression, kind = expression.struct.field(name), kind.field(name).type
    return expression, first


def _step_with_stat(table: pa.Table, stat: str) -> str:
    owners = steps_with_stat(table, stat)
    if owners:
        return owners[0]
    raise OperatorError(f"no earlier step wrote the stat '{stat}' (__dj__stats__.{stat})")
