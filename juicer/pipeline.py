"""Running steps over in-memory tables: the engine shared by the runner (per shard, per
batch) and the Python API. Row-local steps run batch by batch; a global step (a
deduplicator) splits the pipeline into stages."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.batch import DROP_REASON, ROW_ID, STATS, Batch
from juicer.metrics import StepMetrics
from juicer.operator import Deduplicator, Filter, GlobalOperator, Mapper
from juicer.recipe import Step


@dataclass
class Stage:
    """Row-local steps, then (optionally) the map phase of one global step (a deduplicator
    or a selector)."""

    steps: list[Step]
    global_step: Optional[Step] = None
    previous_global: Optional[Step] = None  # whose drops are applied when the stage starts


def plan_stages(pipeline: list[Step]) -> list[Stage]:
    stages, current, previous = [], [], None
    for step in pipeline:
        if isinstance(step.operator, GlobalOperator):
            stages.append(Stage(current, step, previous))
            current, previous = [], step
        else:
            current.append(step)
    stages.append(Stage(current, None, previous))
    return stages


@dataclass
class SegmentResult:
    kept: pa.Table
    dropped: list[pa.Table] = field(default_factory=list)


def run_steps(steps: list[Step], table: pa.Table, text_field: str,
              metrics: dict[str, StepMetrics]) -> SegmentResult:
    """Apply row-local steps to one batch. Dropped rows carry their stats and the reason."""
    batch = Batch(table)
    dropped: list[pa.Table] = []
    for step in steps:
        operator = step.operator
        operator.ensure_setup()
        field_name = operator.text_field(text_field)
        step_metrics = metrics.setdefault(step.id, StepMetrics())
        started = time.perf_counter()
        step_metrics.docs_in += len(batch)
        step_metrics.chars_in += int(batch.char_length(field_name).sum())
        if isinstance(operator, Mapper):
            before = batch.text(field_name)
            batch = Batch(operator.process(batch, text_field))
            after = batch.text(field_name)
            step_metrics.changed += int(pc.sum(pc.not_equal(before, after)).as_py() or 0)
        elif isinstance(operator, Filter):
            stats = operator.compute_stats(batch, text_field)
            keep, failed = operator.decide(stats)
            for name, values in stats.items():
                step_metrics.summary(name).add(values.to_numpy(zero_copy_only=False), keep)
            batch = batch.with_table(add_stats(batch.table, step.id, stats))
            if not keep.all():
                rules = operator.rules()
                reasons = np.array([f"{step.id}:{rule.name}" for rule in rules], dtype=object)
                codes = failed[~keep]
                step_metrics.drops.update(
                    {rules[c].name: int(n) for c, n in zip(*np.unique(codes, return_counts=True))})
                gone = batch.table.filter(pa.array(~keep))
                dropped.append(gone.append_column(DROP_REASON, pa.array(reasons[codes], pa.string())))
                batch = batch.filter(keep)
        else:
            raise TypeError(f"step '{step.id}' ({step.op}) is not row-local")
        step_metrics.docs_out += len(batch)
        step_metrics.chars_out += int(batch.char_length(field_name).sum())
        step_metrics.seconds += time.perf_counter() - started
    return SegmentResult(batch.table, dropped)


def add_stats(table: pa.Table, step_id: str, stats: dict[str, pa.Array]) -> pa.Table:
    """Add this step's stats under `__stats__.<step_id>`."""
    step_struct = pa.StructArray.from_arrays(list(stats.values()), names=list(stats))
    if STATS in table.column_names:
        existing = table.column(STATS).combine_chunks()
        fields = [existing.field(i) for i in range(existing.type.num_fields)]
        names = [existing.type.field(i).name for i in range(existing.type.num_fields)]
        merged = pa.StructArray.from_arrays(fields + [step_struct], names=names + [step_id])
        return table.set_column(table.schema.get_field_index(STATS), STATS, merged)
    return table.append_column(STATS, pa.StructArray.from_arrays([step_struct], names=[step_id]))


def signatures_of(step: Step, table: pa.Table, text_field: str) -> pa.Table:
    """Map phase of a global step: its signatures plus the row id of each document."""
    operator = step.operator
    operator.ensure_setup()
    signatures = operator.signatures(Batch(table), text_field)
    return signatures.append_column(ROW_ID, table.column(ROW_ID))


@dataclass
class Drops:
    """A global step's decisions: sorted row ids to drop and the stats that go with them."""

    row_ids: np.ndarray
    stats: dict[str, np.ndarray]

    @classmethod
    def from_table(cls, table: pa.Table) -> "Drops":
        table = table.sort_by(ROW_ID)
        return cls(table.column(ROW_ID).to_numpy(),
                   {name: table.column(name).to_numpy(zero_copy_only=False)
                    for name in table.column_names if name != ROW_ID})


def apply_drops(step: Step, table: pa.Table, drops: Drops, metrics: dict[str, StepMetrics],
                text_field: str) -> SegmentResult:
    """Apply a global step's decisions to one batch."""
    step_metrics = metrics.setdefault(step.id, StepMetrics())
    started = time.perf_counter()
    row_ids = table.column(ROW_ID).to_numpy()
    if len(drops.row_ids):
        position = np.minimum(np.searchsorted(drops.row_ids, row_ids), len(drops.row_ids) - 1)
        is_dropped = drops.row_ids[position] == row_ids
    else:
        position = np.zeros(len(row_ids), dtype=np.int64)
        is_dropped = np.zeros(len(row_ids), dtype=bool)
    batch = Batch(table)
    field_name = step.operator.text_field(text_field)
    step_metrics.docs_in += len(batch)
    step_metrics.chars_in += int(batch.char_length(field_name).sum())
    dropped = []
    if is_dropped.any():
        gone = table.filter(pa.array(is_dropped))
        kinds = step.operator.drop_stats
        if kinds:
            gone = add_stats(gone, step.id, {
                name: pa.array(drops.stats[name][position[is_dropped]], kind)
                for name, kind in kinds.items()})
        rule = step.operator.drop_rule
        dropped.append(gone.append_column(
            DROP_REASON, pa.array([f"{step.id}:{rule}"] * gone.num_rows, pa.string())))
        step_metrics.drops[rule] += int(is_dropped.sum())
        batch = batch.filter(~is_dropped)
    step_metrics.docs_out += len(batch)
    step_metrics.chars_out += int(batch.char_length(field_name).sum())
    step_metrics.seconds += time.perf_counter() - started
    return SegmentResult(batch.table, dropped)


def find_drops(step: Step, signatures: pa.Table) -> pa.Table:
    """Reduce phase over one partition's signatures: rows to drop, sorted by row id."""
    operator = step.operator
    operator.ensure_setup()
    if signatures.num_rows == 0:
        return pa.table({ROW_ID: pa.array([], pa.int64()),
                         **{name: pa.array([], kind) for name, kind in operator.drop_stats.items()}})
    return operator.find_drops(signatures).sort_by(ROW_ID)


def reduce_summary(step: Step, drops: pa.Table) -> dict:
    """What the report says about one partition's decisions (clusters for deduplicators)."""
    summary = {"dropped": drops.num_rows}
    if isinstance(step.operator, Deduplicator):
        originals = drops.column("duplicate_of").to_numpy()
        summary["clusters"] = int(len(np.unique(originals)))
        summary["cluster_sizes"] = cluster_counts(originals)
    return summary


def cluster_counts(originals: np.ndarray) -> dict[str, int]:
    """Cluster sizes (kept document + its duplicates) -> how many clusters have that size."""
    if len(originals) == 0:
        return {}
    _, sizes = np.unique(originals, return_counts=True)
    values, counts = np.unique(sizes + 1, return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts)}
