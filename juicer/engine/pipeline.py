"""Running row-local steps over in-memory tables: the engine shared by the runner (per
shard, per batch) and the Python API. A global step (a deduplicator or a selector) splits
the pipeline into stages (split_into_stages); what happens between them is
juicer.engine.global_steps."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from juicer.core.fields import text_values, with_text
from juicer.models import llm
from juicer.core.batch import DROP_REASON, ROW_ID, STATS, Batch
from juicer.errors import EndpointError, JuicerError, OperatorError
from juicer.core.metrics import StepMetrics
from juicer.core.samples import change_window, clip
from juicer.core.operator import Filter, GlobalOperator, Mapper, first_failures
from juicer.recipe import Step

DROP_SAMPLES = 5  # sample documents per drop rule in the report
CHANGE_SAMPLES = 3  # before/after samples per mapper


@dataclass
class Stage:
    """Row-local steps, then (optionally) the map phase of one global step (a deduplicator
    or a selector)."""

    steps: list[Step]
    global_step: Optional[Step] = None
    previous_global: Optional[Step] = None  # whose drops are applied when the stage starts


def split_into_stages(pipeline: list[Step]) -> list[Stage]:
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
class BatchResult:
    """What became of one batch's documents in some steps."""

    kept: pa.Table
    dropped: list[pa.Table] = field(default_factory=list)
    #: documents an operator failed on: (row id, error, record) under on_error: quarantine
    failed: list[tuple[int, str, dict]] = field(default_factory=list)


def run_steps(steps: list[Step], table: pa.Table, text_field: str,
              metrics: dict[str, StepMetrics], on_error: str = "quarantine",
              observe: bool = False) -> BatchResult:
    """Apply row-local steps to one batch. Dropped rows carry their stats and the reason.

    When an operator raises on a batch, the batch is retried document by document: the
    documents it fails on are set aside with the error (`on_error: quarantine`), the rest
    go on. With `on_error: raise`, or when it fails on no single document, the run stops.

    `observe` (juicer analyze): filters compute and record their stats and would-be drops
    on every document, and drop none."""
    batch = Batch(table)
    dropped: list[pa.Table] = []
    failed: list[tuple[int, str, dict]] = []
    emptied = False  # every document was set aside: later steps see none
    failing_before: list = []  # (step:rule, row ids failing it) of this batch's earlier filters
    for step in steps:
        setup_step(step)
        step_metrics = metrics.setdefault(step.id, StepMetrics())
        if emptied:
            continue
        with llm.tracked_usage() as usage:
            try:
                outcome = _run_step(step, batch, text_field, observe)
            except EndpointError:  # no document is at fault: the run stops, resume goes on
                raise
            except Exception as exc:  # noqa: BLE001 - isolated per document below
                batch, outcome = _isolate_failures(step, batch, text_field, observe, on_error,
                                                   exc, failed)
        step_metrics.extra.update({f"llm_{key}": value for key, value in usage.counts.items()})
        if outcome is None:  # it failed on every document: all are set aside
            emptied = True
            continue
        batch, gone = outcome.batch, outcome.dropped
        if gone is not None:
            dropped.append(gone)
        outcome.record(step_metrics)
        if outcome.failures is not None:
            failing_before += _record_overlap(step.id, outcome.failures, step_metrics,
                                              failing_before if observe else None)
    return BatchResult(batch.table, dropped, failed)


def _isolate_failures(step: Step, batch: Batch, text_field: str, observe: bool, on_error: str,
                      exc: Exception, failed: list) -> tuple[Batch, Optional["_StepOutcome"]]:
    """The step raised on the batch: retried document by document, the documents it fails
    on are added to `failed` and the step runs again on the rest (None: none is left)."""
    if on_error == "raise":
        raise OperatorError(_failure(step, exc), hint="on_error: quarantine "
                            "sets failing documents aside and goes on") from exc
    bad = _failing_rows(step, batch, text_field)
    if not bad:
        raise OperatorError(_failure(step, exc) + " (on a whole batch, on no single "
                            "document: a bug in the operator)") from exc
    keep = np.ones(len(batch), dtype=bool)
    keep[list(bad)] = False
    row_ids = batch.table.column(ROW_ID).to_pylist()
    for index, error in bad.items():
        record = batch.table.slice(index, 1).drop_columns(
            [c for c in (ROW_ID, STATS) if c in batch.table.column_names]).to_pylist()[0]
        failed.append((row_ids[index], error, record))
    batch = batch.filter(keep)
    if len(batch) == 0:
        return batch, None
    return batch, _run_step(step, batch, text_field, observe)


def _record_overlap(step_id: str, failures: tuple, step_metrics: StepMetrics,
                    earlier: Optional[list]) -> list:
    """Count the documents failing each rule of a filter, and those failing two rules: two
    of this step, or (analyze, where every filter sees every document) this one and an
    earlier step's, given as (label, failing row ids). Returns this step's entries for
    the later steps, none when `earlier` is None (a processed run: a document an earlier
    step failed never reaches this one)."""
    names, fails, row_ids = failures
    ids = row_ids.to_numpy() if earlier is not None else None
    own = []
    for index, name in enumerate(names):
        step_metrics.rule_fails[name] += int(fails[index].sum())
        for other in range(index):
            both = int((fails[index] & fails[other]).sum())
            if both:
                step_metrics.overlap[f"{name}\t{step_id}:{names[other]}"] += both
        if earlier is None:
            continue
        failing = ids[fails[index]]
        for label, other_ids in earlier:
            both = int(np.isin(failing, other_ids).sum())
            if both:
                step_metrics.overlap[f"{name}\t{label}"] += both
        own.append((f"{step_id}:{name}", failing))
    return own


def setup_step(step: Step) -> None:
    """The operator's setup (once per worker), its errors naming the step: a model or device
    missing on this worker."""
    try:
        step.operator.ensure_setup()
    except JuicerError as exc:
        raise OperatorError(f"step '{step.id}' ({step.op}): {exc}") from exc


def _failure(step: Step, exc: BaseException) -> str:
    return f"step '{step.id}' ({step.op}) raised {type(exc).__name__}: {exc}"


def _failing_rows(step: Step, batch: Batch, text_field: str) -> dict[int, str]:
    bad = {}
    for index in range(len(batch)):
        try:
            _run_step(step, Batch(batch.table.slice(index, 1)), text_field)
        except EndpointError:
            raise
        except Exception as exc:  # noqa: BLE001 - this document is set aside
            bad[index] = _failure(step, exc)
    return bad


@dataclass
class _StepOutcome:
    batch: Batch
    dropped: Optional[pa.Table]
    docs_in: int
    chars_in: int
    chars_out: int
    changed: int
    drops: dict
    stats: list
    seconds: float
    labels: list = field(default_factory=list)  # (stat, values, keep) of label stats
    offers: list = field(default_factory=list)  # (sample key, k, row ids, payload of row i)
    failures: Optional[tuple] = None  # a filter's (rule names, rules x docs fails, row ids)

    def record(self, metrics: StepMetrics) -> None:
        metrics.docs_in += self.docs_in
        metrics.docs_out += len(self.batch)
        metrics.chars_in += self.chars_in
        metrics.chars_out += self.chars_out
        metrics.changed += self.changed
        metrics.drops.update(self.drops)
        metrics.seconds += self.seconds
        for name, values, passes in self.stats:
            metrics.summary(name).add(values, np.ones(len(values), dtype=bool)
                                      if passes is None else passes)
        for name, values, keep in self.labels:
            metrics.category(name).add(values, keep)
        for key, k, row_ids, payload in self.offers:
            metrics.sample(key, k).offer(row_ids, payload)


def _run_step(step: Step, batch: Batch, text_field: str, observe: bool = False) -> _StepOutcome:
    """One row-local step over one batch; metrics are returned, recorded only on success."""
    operator = step.operator
    field_name = operator.text_field(text_field)
    started = time.perf_counter()
    docs_in, chars_in = len(batch), int(batch.char_length(field_name).sum())
    changed, drops, stats_seen, gone, labels, offers = 0, {}, [], None, [], []
    failures = None
    if isinstance(operator, Mapper):
        before = batch.text(field_name)
        row_ids = batch.table.column(ROW_ID)
        table = operator.process(batch, text_field)
        if table.num_rows != len(batch):  # a splitting mapper: one document -> many
            changed = table.num_rows
            batch = Batch(table)
        elif operator.text_key_after():  # a layout conversion: every document changed
            changed = table.num_rows
            batch = Batch(table)
        else:
            batch = Batch(table)
            differs = pc.fill_null(pc.not_equal(before, batch.text(field_name)), False)
            changed = int(pc.sum(differs).as_py() or 0)
            if changed:
                offers.append(_change_offer(row_ids, before, batch.text(field_name), differs))
    elif isinstance(operator, Filter):
        stats, new_text = operator.compute(batch, text_field)
        fails = operator.rule_failures(stats)
        keep, failed = first_failures(fails)
        rules = operator.rules()
        failures = ([rule.name for rule in rules], fails, batch.table.column(ROW_ID))
        # a statistic's histogram colours the documents its own rules fail (a document
        # another rule dropped is not red there); per-line (list) and label (string) stats
        # are written but not summarized
        passes = _passes_by_stat(rules, fails, len(batch))
        stats_seen = [(name, values.to_numpy(zero_copy_only=False), passes.get(name))
                      for name, values in stats.items()
                      if pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
                      or pa.types.is_boolean(values.type)]
        labels = [(name, values, keep) for name, values in stats.items()
                  if pa.types.is_string(values.type) or pa.types.is_large_string(values.type)]
        with_stats = add_stats(batch.table, step.id, stats)
        batch = batch.with_table(with_stats)
        if new_text is not None:
            differs = pc.fill_null(pc.and_(pc.not_equal(batch.text(field_name), new_text),
                                           pa.array(keep)), False)
            changed = int(pc.sum(differs).as_py() or 0)
            if changed:
                offers.append(_change_offer(batch.table.column(ROW_ID), batch.text(field_name),
                                            new_text, differs))
            batch = Batch(with_text(with_stats, field_name, new_text))
        if not keep.all():
            reasons = np.array([f"{step.id}:{rule.name}" for rule in rules], dtype=object)
            codes = failed[~keep]
            drops = {rules[c].name: int(n) for c, n in zip(*np.unique(codes, return_counts=True))}
            gone = with_stats.filter(pa.array(~keep))  # as they came, not cleaned
            gone = gone.append_column(DROP_REASON, pa.array(reasons[codes], pa.string()))
            offers.extend(_drop_offers(gone, field_name, codes, rules, stats, ~keep))
            if observe:
                gone = None
            else:
                batch = batch.filter(keep)
    else:
        raise TypeError(f"step '{step.id}' ({step.op}) is not row-local")
    field_after = operator.text_key_after() or field_name  # a conversion moves the text
    return _StepOutcome(batch, gone, docs_in, chars_in, int(batch.char_length(field_after).sum()),
                        changed, drops, stats_seen, time.perf_counter() - started, labels, offers,
                        failures)


def _passes_by_stat(rules, fails: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """Per statistic, the documents that pass every rule on it; a statistic no rule
    reads passes all of them."""
    passes: dict[str, np.ndarray] = {}
    for index, rule in enumerate(rules):
        passes[rule.stat] = passes.get(rule.stat, np.ones(count, dtype=bool)) & ~fails[index]
    return passes


def _change_offer(row_ids, before: pa.Array, after: pa.Array, differs) -> tuple:
    """Sample candidates of the documents a step rewrote: their text before and after."""
    where = np.flatnonzero(np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool))
    ids = np.asarray(row_ids.to_numpy(), dtype=np.int64)[where]

    def payload(i: int) -> dict:
        index = int(where[i])
        return change_window(before[index].as_py() or "", after[index].as_py() or "")
    return ("changed", CHANGE_SAMPLES, ids, payload)


def _drop_offers(gone: pa.Table, field_name: str, codes: np.ndarray, rules, stats: dict,
                 dropped_mask: np.ndarray) -> list:
    """Sample candidates of the documents each rule dropped, with the stat that decided."""
    ids = gone.column(ROW_ID).to_numpy()
    texts = text_values(gone, field_name)
    offers = []
    for code in np.unique(codes).tolist():
        rule = rules[code]
        where = np.flatnonzero(codes == code)
        values = stats.get(rule.stat)
        values = values.filter(pa.array(dropped_mask)) if values is not None else None

        def payload(i: int, where=where, values=values, stat=rule.stat) -> dict:
            index = int(where[i])
            value = values[index].as_py() if values is not None else None
            return {"text": clip(texts[index].as_py()),
                    "stats": {stat: value} if isinstance(value, (int, float, str, bool)) else {}}
        offers.append((f"drop:{rule.name}", DROP_SAMPLES, ids[where], payload))
    return offers


def offer_dropped(step_metrics: StepMetrics, gone: pa.Table, field_name: str, rule: str) -> None:
    """Sample candidates of documents a global step dropped."""
    texts = text_values(gone, field_name)
    step_metrics.sample(f"drop:{rule}", DROP_SAMPLES).offer(
        gone.column(ROW_ID).to_numpy(), lambda i: {"text": clip(texts[i].as_py())})


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
