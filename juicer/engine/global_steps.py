"""The kinds of global step, one object each, and the one sequence of phases they all run.

A global step (a deduplicator or a selector) needs the whole corpus, so it runs in phases:

  map        the shard tasks of its stage write its signatures, hashed into partitions
             (signatures_of, below);
  reduce     one task per partition: `kind.reduce` turns the signatures into a table
             (candidate pairs, span occurrences, or decisions);
  shard pass one task per shard over the reduce tables' rows whose (later) document lies in
             that shard, with the texts at hand: `kind.shard_pass` (a deduplicator's
             verification, a span deduplicator's spans);
  combine    one task over all of them: `kind.combine` (a deduplicator's clusters);

and the next stage's shard tasks apply the decisions to their rows (`kind.apply`). A kind
says which phases it has; the decisions are the table of its last phase. `finish` runs the
phases for one step through a `Phases` driver: the runner's runs them as tasks over an
executor with their tables in the work folder, juicer.apply's in memory (one partition, one
shard), so the two cannot drift. Adding a kind is one class here and its tests.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Protocol

import numpy as np
import pyarrow as pa

import pyarrow.compute as pc

from juicer.engine import dedup

from juicer.text import substrings
from juicer.core.batch import DROP_REASON, ROW_ID, Batch
from juicer.core.fields import with_text
from juicer.core.metrics import StepMetrics
from juicer.core.operator import Deduplicator, GlobalOperator, SegmentDeduplicator, SpanDeduplicator
from juicer.engine.pipeline import BatchResult, add_stats, offer_dropped, setup_step
from juicer.recipe import Step
from juicer.text.segments import rejoin


class GlobalKind:
    """What one kind of global step does in each phase (see the module's docstring)."""

    name: ClassVar[str]
    combines: ClassVar[bool] = False

    def has_shard_pass(self, step: Step) -> bool:
        return False

    def empty(self, step: Step) -> pa.Table:
        """What the reduce gives on no signatures."""
        raise NotImplementedError

    def reduce(self, step: Step, signatures: pa.Table) -> pa.Table:
        raise NotImplementedError

    def reduce_note(self, step: Step, reduced: pa.Table) -> Any:
        """What a reduce task tells the driver beside its table (JSON-able)."""
        return None

    def shard_pass(self, step: Step, rows: pa.Table, texts_of: dedup.TextsOf
                   ) -> tuple[pa.Table, dict]:
        raise NotImplementedError

    def combine(self, step: Step, table: pa.Table, reports: list[dict],
                texts_of: dedup.TextsOf) -> tuple[pa.Table, dict]:
        raise NotImplementedError

    def summary(self, step: Step, notes: list, reports: list[dict],
                texts_of: dedup.TextsOf) -> Optional[dict]:
        """The report's summary of a kind that does not combine."""
        return None

    def apply(self, step: Step, table: pa.Table, decisions: Decisions,
              metrics: dict[str, StepMetrics], text_field: str,
              observe: bool = False) -> BatchResult:
        return drop_decided(step, table, decisions, metrics, text_field, observe)

    def report(self, report: dict, metrics: StepMetrics, summary: Optional[dict]) -> None:
        """Add what the report shows of this kind to the step's entry."""


class Selection(GlobalKind):
    """A selector: the reduce picks the documents to keep."""

    name = "selection"

    def empty(self, step: Step) -> pa.Table:
        return dedup.selector_decisions(_no_drops(step.operator))

    def reduce(self, step: Step, signatures: pa.Table) -> pa.Table:
        if signatures.num_rows == 0:
            return self.empty(step)
        return dedup.selector_decisions(_found_drops(step, signatures))


class PairDedup(GlobalKind):
    """A near- or exact-duplicate deduplicator: candidate pairs per partition, verified per
    shard when the step verifies, joined into clusters in one task."""

    name = "pairs"
    combines = True

    def has_shard_pass(self, step: Step) -> bool:
        return step.operator.verify_threshold is not None

    def empty(self, step: Step) -> pa.Table:
        return dedup.empty_pairs()

    def reduce(self, step: Step, signatures: pa.Table) -> pa.Table:
        if signatures.num_rows == 0:
            return self.empty(step)
        setup_step(step)
        return dedup.normalize_pairs(step.operator.candidate_pairs(signatures))

    def shard_pass(self, step, rows, texts_of):
        # a pair found in several bands may come from several partitions
        return dedup.verify_pairs(step.operator, dedup.normalize_pairs(rows), texts_of)

    def combine(self, step, table, reports, texts_of):
        return resolve_duplicates(step, table, dedup.merge_verification(reports), texts_of)

    def apply(self, step, table, decisions, metrics, text_field, observe=False):
        return drop_decided(step, table, decisions, metrics, text_field, observe,
                            stats_on_members=True)

    def report(self, report, metrics, summary):
        if summary is not None:
            report["dedup"] = summary


class SegmentDedup(GlobalKind):
    """Repeated lines or paragraphs: the reduce finds them; documents are rewritten."""

    name = "segments"

    def empty(self, step: Step) -> pa.Table:
        return self._decisions(_no_drops(step.operator))

    def reduce(self, step: Step, signatures: pa.Table) -> pa.Table:
        if signatures.num_rows == 0:
            return self.empty(step)
        return self._decisions(_found_drops(step, signatures))

    @staticmethod
    def _decisions(drops: pa.Table) -> pa.Table:  # rewrites documents, never drops them
        return drops.append_column(dedup.DROP, pa.array(np.zeros(drops.num_rows, dtype=bool)))

    def reduce_note(self, step, reduced):
        return dedup.repeated_segments(reduced)

    def summary(self, step, notes, reports, texts_of):
        return dedup.segment_summary(step.operator, notes, texts_of)

    def apply(self, step, table, decisions, metrics, text_field, observe=False):
        return remove_segments(step, table, decisions, metrics, text_field)

    def report(self, report, metrics, summary):
        report["changed_docs"] = metrics.changed
        report["segments"] = {"removed_segments": metrics.extra.get("removed_segments", 0),
                              **(summary or {})}


class SpanDedup(GlobalKind):
    """Repeated substrings: occurrences per partition, turned into spans per shard."""

    name = "spans"

    def has_shard_pass(self, step: Step) -> bool:
        return True

    def empty(self, step: Step) -> pa.Table:
        return pa.table({name: pa.array([], pa.int64())
                         for name in (ROW_ID, "offset", "first_row", "first_offset")})

    def reduce(self, step: Step, signatures: pa.Table) -> pa.Table:
        if signatures.num_rows == 0:
            return self.empty(step)
        setup_step(step)
        return step.operator.find_drops(signatures)

    def shard_pass(self, step, rows, texts_of):
        if rows.num_rows == 0:
            spans = substrings.spans_table(np.zeros(0, np.int64), [])
        else:
            setup_step(step)
            spans = step.operator.find_spans(rows, texts_of)
        return dedup.span_decisions(spans), dedup.span_report(spans, texts_of)

    def summary(self, step, notes, reports, texts_of):
        return dedup.merge_span_reports(reports)

    def apply(self, step, table, decisions, metrics, text_field, observe=False):
        return remove_spans(step, table, decisions, metrics, text_field)

    def report(self, report, metrics, summary):
        report["changed_docs"] = metrics.changed
        report["spans"] = summary or {}


SELECTION, PAIRS, SEGMENTS, SPANS = Selection(), PairDedup(), SegmentDedup(), SpanDedup()


def kind_of(operator: GlobalOperator) -> GlobalKind:
    """The kind of a global operator (a global operator of no other kind selects)."""
    if isinstance(operator, Deduplicator):
        return PAIRS
    if isinstance(operator, SegmentDeduplicator):
        return SEGMENTS
    if isinstance(operator, SpanDeduplicator):
        return SPANS
    return SELECTION


def _found_drops(step: Step, signatures: pa.Table) -> pa.Table:
    setup_step(step)
    return step.operator.find_drops(signatures).sort_by(ROW_ID)


def _no_drops(operator: GlobalOperator) -> pa.Table:
    return pa.table({ROW_ID: pa.array([], pa.int64()),
                     **{name: pa.array([], kind) for name, kind in operator.drop_stats.items()}})


@dataclass
class Output:
    """What one task of a phase gives: where its table is (the driver's handle), how many
    rows it has, and a note: a reduce's `kind.reduce_note`, a shard pass's report."""

    table: Any
    rows: int
    note: Any = None


class Phases(Protocol):
    """How a driver runs a global step's phases. `decides`: the phase's tables are the
    step's decisions (it is the step's last phase), kept by shard for the next stage."""

    def reduce(self, kind: GlobalKind, step: Step, decides: bool) -> list[Output]: ...

    def shard_pass(self, kind: GlobalKind, step: Step, tables: list, decides: bool
                   ) -> list[Output]: ...

    def combine(self, kind: GlobalKind, step: Step, tables: list, reports: list[dict]
                ) -> tuple[Any, dict]: ...

    def texts_of(self, step: Step) -> dedup.TextsOf: ...


def finish(step: Step, phases: Phases) -> tuple[list, Optional[dict]]:
    """Run a global step's phases after its map: its decisions (the handles of its last
    phase's tables) and its summary for the report (None for a selector)."""
    kind = kind_of(step.operator)
    shard_pass = kind.has_shard_pass(step)
    reduced = phases.reduce(kind, step, decides=not (shard_pass or kind.combines))
    outputs, reports = reduced, []
    if shard_pass:
        found = [output.table for output in reduced if output.rows]
        if found or not kind.combines:  # no pair to verify: straight to the clusters
            outputs = phases.shard_pass(kind, step, found, decides=not kind.combines)
            reports = [output.note for output in outputs]
    if kind.combines:
        decisions, summary = phases.combine(
            kind, step, [output.table for output in outputs if output.rows], reports)
        return [decisions], summary
    return [output.table for output in outputs], kind.summary(
        step, [output.note for output in reduced], reports, phases.texts_of(step))


def apply_decisions(step: Step, table: pa.Table, decisions: Decisions,
                    metrics: dict[str, StepMetrics], text_field: str,
                    observe: bool = False) -> BatchResult:
    """Apply a global step's decisions to one batch of the next stage."""
    return kind_of(step.operator).apply(step, table, decisions, metrics, text_field, observe)


# -------------------------------------------------------------- the phases' pieces


def signatures_of(step: Step, table: pa.Table, text_field: str) -> pa.Table:
    """Map phase of a global step: its signatures, each with the row id of its document
    (operators emitting several rows per document add `__row_id__` themselves)."""
    operator = step.operator
    setup_step(step)
    signatures = operator.signatures(Batch(table), text_field)
    if ROW_ID in signatures.column_names:
        return signatures
    return signatures.append_column(ROW_ID, table.column(ROW_ID))


@dataclass
class Decisions:
    """A global step's decisions for some documents, sorted by row id: whether to drop each
    and its stats."""

    row_ids: np.ndarray
    drop: np.ndarray
    stats: dict[str, np.ndarray]

    @classmethod
    def from_table(cls, table: pa.Table) -> "Decisions":
        table = table.sort_by([(name, "ascending") for name in (ROW_ID, "span_start")
                               if name in table.column_names])
        return cls(table.column(ROW_ID).to_numpy(), table.column(dedup.DROP).to_numpy(
            zero_copy_only=False).astype(bool),
                   {name: table.column(name).to_numpy(zero_copy_only=False)
                    for name in table.column_names if name not in (ROW_ID, dedup.DROP)})


def drop_decided(step: Step, table: pa.Table, decisions: Decisions,
                 metrics: dict[str, StepMetrics], text_field: str, observe: bool = False,
                 stats_on_members: bool = False) -> BatchResult:
    """Drop the rows a global step decided to drop, with the step's stats on them, or with
    `stats_on_members` on every decided row, kept or dropped (a deduplicator's clusters:
    null for documents in no cluster). `observe` counts the drops and keeps the documents
    (juicer analyze)."""
    step_metrics = metrics.setdefault(step.id, StepMetrics())
    started = time.perf_counter()
    operator = step.operator
    row_ids = table.column(ROW_ID).to_numpy()
    if len(decisions.row_ids):
        position = np.minimum(np.searchsorted(decisions.row_ids, row_ids),
                              len(decisions.row_ids) - 1)
        matched = decisions.row_ids[position] == row_ids
    else:
        position = np.zeros(len(row_ids), dtype=np.int64)
        matched = np.zeros(len(row_ids), dtype=bool)
    is_dropped = matched & decisions.drop[position] if len(decisions.row_ids) else matched
    kinds = operator.drop_stats
    if stats_on_members and kinds:
        table = add_stats(table, step.id, {
            name: pa.array(_values(decisions.stats.get(name), position, len(row_ids)), kind,
                           mask=~matched) for name, kind in kinds.items()})
    batch = Batch(table)
    field_name = operator.text_field(text_field)
    step_metrics.docs_in += len(batch)
    step_metrics.chars_in += int(batch.char_length(field_name).sum())
    dropped = []
    if is_dropped.any():
        gone = table.filter(pa.array(is_dropped))
        if kinds and not stats_on_members:
            gone = add_stats(gone, step.id, {
                name: pa.array(decisions.stats[name][position[is_dropped]], kind)
                for name, kind in kinds.items()})
        rule = operator.drop_rule
        step_metrics.drops[rule] += int(is_dropped.sum())
        offer_dropped(step_metrics, gone, field_name, rule)
        if not observe:
            dropped.append(gone.append_column(
                DROP_REASON, pa.array([f"{step.id}:{rule}"] * gone.num_rows, pa.string())))
            batch = batch.filter(~is_dropped)
    step_metrics.docs_out += len(batch)
    step_metrics.chars_out += int(batch.char_length(field_name).sum())
    step_metrics.seconds += time.perf_counter() - started
    return BatchResult(batch.table, dropped)


def _values(values, position: np.ndarray, count: int) -> np.ndarray:
    if values is None or len(values) == 0:
        return np.zeros(count, dtype=np.int64)
    return values[position]


def resolve_duplicates(step: Step, pairs: pa.Table, verification: dict,
                       texts_of: dedup.TextsOf) -> tuple[pa.Table, dict]:
    """Verified pairs of all partitions -> clusters -> decisions, and the report's summary."""
    operator = step.operator
    members, moved = dedup.verified_clusters(operator, dedup.normalize_pairs(pairs), texts_of)
    summary = dedup.cluster_summary(members, texts_of, operator=operator)
    if operator.verify_threshold is not None:
        summary["verification"] = {**verification, "moved_from_chains": moved}
    return dedup.decisions(members, operator.params.annotate), summary


def remove_segments(step: Step, table: pa.Table, decisions: Decisions,
                    metrics: dict[str, StepMetrics], text_field: str) -> BatchResult:
    """Rewrite the documents that hold repeated segments without them."""
    import polars as pl

    step_metrics = metrics.setdefault(step.id, StepMetrics())
    started = time.perf_counter()
    operator = step.operator
    field_name = operator.text_field(text_field)
    texts = Batch(table).text(field_name)
    before = Batch(table).char_length(field_name)
    row_ids = table.column(ROW_ID).to_numpy()
    mine = (decisions.row_ids >= row_ids.min()) & (decisions.row_ids <= row_ids.max()) \
        if len(row_ids) else np.zeros(len(decisions.row_ids), dtype=bool)
    if mine.any():
        segments = operator.segments(texts)
        found = pl.DataFrame({"row": row_ids[segments.doc],
                              "hash": segments.hashes.view(np.int64),
                              "index": np.arange(len(segments.doc))}).join(
            pl.DataFrame({"row": decisions.row_ids[mine],
                          "hash": decisions.stats["key_hash"][mine].view(np.int64)}),
            on=["row", "hash"], how="semi")
        remove = np.zeros(len(segments.doc), dtype=bool)
        remove[found["index"].to_numpy()] = True
        changed = np.unique(segments.doc[remove])
        if len(changed):
            in_changed = np.isin(segments.doc, changed)
            keep = ~remove[in_changed]
            pieces = segments.pieces.filter(pa.array(in_changed))
            local = np.searchsorted(changed, segments.doc[in_changed])
            rewritten = rejoin(pieces, local, keep, len(changed), operator.separator)
            table = _with_texts(table, field_name, texts, changed, rewritten)
            step_metrics.changed += len(changed)
            step_metrics.extra["removed_segments"] += int(remove.sum())
    return _rewrite_done(step_metrics, table, field_name, before, started)


def remove_spans(step: Step, table: pa.Table, decisions: Decisions,
                 metrics: dict[str, StepMetrics], text_field: str) -> BatchResult:
    """Rewrite the documents holding repeated spans without them."""
    step_metrics = metrics.setdefault(step.id, StepMetrics())
    started = time.perf_counter()
    field_name = step.operator.text_field(text_field)
    texts = Batch(table).text(field_name)
    before = Batch(table).char_length(field_name)
    row_ids = table.column(ROW_ID).to_numpy()
    changed = np.flatnonzero(np.isin(row_ids, decisions.row_ids))
    if len(changed):
        low = np.searchsorted(decisions.row_ids, row_ids[changed], side="left")
        high = np.searchsorted(decisions.row_ids, row_ids[changed], side="right")
        starts, ends = decisions.stats[substrings.START], decisions.stats[substrings.END]
        rewritten = [substrings.remove_spans(texts[int(i)].as_py(), list(zip(starts[lo:hi].tolist(),
                                                                   ends[lo:hi].tolist())))
                     for i, lo, hi in zip(changed, low, high)]
        table = _with_texts(table, field_name, texts, changed, rewritten)
        step_metrics.changed += len(changed)
        step_metrics.extra["removed_spans"] += int((high - low).sum())
    return _rewrite_done(step_metrics, table, field_name, before, started)


def _with_texts(table: pa.Table, field_name: str, texts: pa.Array, changed: np.ndarray,
                rewritten: list[str]) -> pa.Table:
    """`table` with the texts at positions `changed` replaced."""
    mask = np.zeros(len(texts), dtype=bool)
    mask[changed] = True
    texts = pc.replace_with_mask(texts, pa.array(mask), pa.array(rewritten, texts.type))
    return with_text(table, field_name, texts)


def _rewrite_done(step_metrics: StepMetrics, table: pa.Table, field_name: str,
                  before: np.ndarray, started: float) -> BatchResult:
    """Metrics of a step that rewrites documents and never drops them."""
    step_metrics.docs_in += table.num_rows
    step_metrics.docs_out += table.num_rows
    step_metrics.chars_in += int(before.sum())
    step_metrics.chars_out += int(Batch(table).char_length(field_name).sum())
    step_metrics.seconds += time.perf_counter() - started
    return BatchResult(table, [])
