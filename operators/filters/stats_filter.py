from __future__ import annotations

from dataclasses import replace
from typing import Literal, Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import ROW_ID, STATS, Batch, nested_field, steps_with_stat
from juicer.errors import OperatorError
from juicer.core.operator import Filter, RangeParams, Rule, range_rules
from juicer_operators.filters.specified_numeric_field_filter import as_numbers


class StatsFilter(Filter):
    """Keep documents whose statistic lies in [min_value, max_value]: a stat written by an
    earlier step (`<step_id>.<stat>`, or just `<stat>` when one step wrote it, such as
    `rps_doc_word_count` from `redpajama_signals_mapper` or `gopher_words`), or any numeric
    field (`meta.quality`). Booleans count as 0 and 1. A document without the value is
    dropped (`missing`), or kept with `missing: keep`. Several stats_filter steps in a row
    make a signals-then-thresholds recipe (RedPajama-v2 style)."""

    name = "stats_filter"
    stats = {"value": pa.float64()}

    class Params(RangeParams):
        _range = ("min_value", "max_value")
        stat: str = Field(..., description="`<step_id>.<stat>`, `<stat>` or a field path.")
        min_value: Optional[float] = Field(None, description="Lowest value kept.")
        max_value: Optional[float] = Field(None, description="Highest value kept.")
        missing: Literal["drop", "keep"] = Field("drop", description="What happens to a "
                                                 "document without the value.")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        if len(batch) == 0:  # an empty input may lack every column
            return {"value": pa.array([], pa.float64())}
        return {"value": pa.array(as_numbers(nested_field(batch.table, _path(batch.table, self.params.stat))))}

    def rules(self):
        present = Rule("missing", "value", "is", "number", lambda v: ~np.isnan(v))
        ranges = range_rules(self.params, "value", "min_value", "max_value")
        if self.params.missing == "keep":  # NaN fails no comparison rule: NaN < x is false
            return [replace(rule, nan="pass") for rule in ranges]
        return [present, *ranges]


def _path(table: pa.Table, stat: str) -> str:
    """The dotted field path of `stat` in the table."""
    first = stat.split(".", 1)[0]
    if first in table.column_names and first != ROW_ID:
        return stat
    if STATS not in table.column_names:
        raise OperatorError(f"no earlier step wrote stats; '{stat}' is not a field either")
    steps = table.schema.field(STATS).type
    step_names = [steps.field(i).name for i in range(steps.num_fields)]
    if first in step_names:
        return f"{STATS}.{stat}"
    owners = steps_with_stat(table, stat)
    if len(owners) != 1:
        found = "no earlier step wrote" if not owners else f"steps {', '.join(owners)} all wrote"
        raise OperatorError(f"{found} a stat named '{stat}'; name it as <step_id>.{stat}")
    return f"{STATS}.{owners[0]}.{stat}"
