"""The Python API: build operators by name, apply them (or a whole recipe) to in-memory data,
and run recipes.

    import juicer
    op = juicer.operator("text_length_filter", min_len=50)
    kept = op(table)                                    # same type back
    kept = juicer.apply(rows, [op, "document_deduplicator"])
    result = juicer.apply(df, "recipes/quickstart.yaml", detailed=True)
    result.kept, result.dropped, result.quarantined, result.steps

    kept = juicer.run("recipes/quickstart.yaml", ray_dataset)

`apply` (and `run`, recipe first) accepts a `pyarrow.Table`, a polars DataFrame or
LazyFrame, a pandas DataFrame, a list of dicts, a Hugging Face `datasets.Dataset`, a Ray
Dataset or a Dask DataFrame, and returns the same type; the data crosses as Arrow. It runs
the same engine as `juicer process` (juicer.engine.pipeline), in memory and in one process: meant
for data that fits in memory.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

import numpy as np
import pyarrow as pa

from juicer.engine import dedup

from juicer.core import registry
from juicer.core.batch import DROP_REASON, ROW_ID, STATS
from juicer.errors import JuicerError
from juicer.core.fields import is_path, text_values
from juicer.io.records import QUARANTINE_SCHEMA, record_problem
from juicer.engine.global_steps import (Decisions, GlobalKind, Output, apply_decisions, finish,
                                 signatures_of)
from juicer.core.metrics import StepMetrics
from juicer.core.operator import Operator
from juicer.engine.pipeline import split_into_stages, run_steps
from juicer.recipe import Recipe, Step, build_steps, steps_from_operators
from juicer.recipe import load_recipe as _load_recipe
from juicer.engine.run_report import step_report

StepsLike = Union[Operator, str, os.PathLike, Recipe, Sequence[Union[Operator, str, dict]]]


def operator(name: str, /, **params: Any) -> Operator:
    """The operator registered as `name`, with validated params (same checks as a recipe)."""
    return registry.get(name)(params)


def load_recipe(source: Union[str, os.PathLike, dict], overrides: Sequence[str] = ()) -> Recipe:
    """Load and validate a recipe; raises RecipeError listing every mistake at once."""
    return _load_recipe(source, list(overrides))


def process(recipe: Union[str, os.PathLike, dict, Recipe], *, overrides: Sequence[str] = (),
            workers: Optional[int] = None, overwrite: bool = False, force: bool = False,
            progress=None):
    """Run a recipe like `juicer process` (resuming an interrupted run in the same output
    directory); returns a RunResult (output dir and report). `progress`: called as
    progress(label, done, total) when a task finishes, and, if it has a `detail(text)`
    method, about once a second with what the running shards have read (documents,
    bytes, rate, time left)."""
    from juicer.engine.driver import process as run

    _not_in_a_worker("process")
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    return run(recipe, workers=workers, overwrite=overwrite, force=force, progress=progress)


def _not_in_a_worker(call: str) -> None:
    """A worker that imports the driver's script (it defines operators the workers need)
    must not start the run again from the script's top level."""
    import multiprocessing
    import sys

    # runpy runs the script as the module __mp_main__ (sys.modules holds it meanwhile)
    main = sys.modules.get("__mp_main__")
    if multiprocessing.current_process().name != "MainProcess" and main is not None:
        raise JuicerError(
            f"juicer.{call}() was called while a worker process imported your script "
            f"{getattr(main, '__file__', '')} (workers import it for the operators it "
            "defines)", hint="put the call under `if __name__ == \"__main__\":`")


def analyze(recipe: Union[str, os.PathLike, dict, Recipe], *, overrides: Sequence[str] = (),
            output: Optional[str] = None, inputs: Sequence[str] = (), sample: Optional[int] = None,
            workers: Optional[int] = None, overwrite: bool = True):
    """Like `juicer analyze`: every filter computes its stats on every document, nothing is
    dropped; writes data/ (with __stats__), report.json and report.html into `output`
    (default: the recipe's output.path + "_analysis"), replacing an earlier analysis there
    as the CLI does (overwrite=False refuses instead). Returns a RunResult."""
    from juicer.corpus.analysis import analyze as run_analysis

    _not_in_a_worker("analyze")
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    return run_analysis(recipe, output=output, inputs=inputs, sample=sample, workers=workers,
                        overwrite=overwrite)


def plan(recipe: Union[str, os.PathLike, dict, Recipe], *, overrides: Sequence[str] = (),
         sample: int = 2000, workers: Optional[int] = None) -> dict:
    """Like `juicer plan`: estimate the full run's documents per step, time, disk and memory
    from a dry run on about `sample` documents (juicer/corpus/dry_run.py)."""
    from juicer.corpus.dry_run import plan as estimate

    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    return estimate(recipe, sample=sample, workers=workers)


def calibrate(recipe: Union[str, os.PathLike, dict, Recipe], keep: Optional[float] = None, *,
              chars: Optional[int] = None, tokens: Optional[int] = None,
              tokenizer: Optional[str] = None, overrides: Sequence[str] = (),
              analysis: Optional[str] = None, recipe_out: Optional[str] = None,
              **analyze_options) -> dict:
    """Like `juicer calibrate`: thresholds for the recipe's filters that together keep about
    `keep` of the documents (or `chars` characters, or `tokens` tokens of `tokenizer`),
    written as a recipe; returns the proposal (also in the analysis report). `analysis`
    reuses a directory `analyze` wrote."""
    from juicer.corpus.analysis import calibrate as run_calibration

    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe, overrides)
    return run_calibration(recipe, keep, chars=chars, tokens=tokens, tokenizer=tokenizer,
                           analysis=analysis,
                           recipe_out=recipe_out, **analyze_options)


def render_report(output_dir: Union[str, os.PathLike], compare: Optional[Union[str, os.PathLike]] = None,
                  path: Optional[str] = None, *, group_by: Optional[Sequence[str]] = None,
                  key: Optional[str] = None) -> str:
    """Like `juicer report`: (re)write OUTPUT_DIR/report.html from its report.json, or with
    `compare`, a comparison page of the two runs (default OUTPUT_DIR/compare.html; `key`
    names the field that matches documents across the runs). `group_by` recounts the
    report's per-group drop rates by those fields (into report.json too). Returns the
    page's path."""
    from juicer.report import compare as comparison, groups as report_groups, html as report_html
    from juicer.io.writers import read_json, write_json

    output_dir = os.fspath(output_dir)
    if compare is not None:
        return comparison.write(output_dir, os.fspath(compare),
                                path or os.path.join(output_dir, "compare.html"), key)
    report_path = os.path.join(output_dir, "report.json")
    if not os.path.exists(report_path):
        raise JuicerError(f"'{output_dir}' holds no finished run (no report.json)")
    report = read_json(report_path)
    if group_by:
        report["groups"] = report_groups.breakdowns(output_dir, list(group_by))
        write_json(report, report_path)
    return report_html.write(report, path or os.path.join(output_dir, "report.html"))


def train_classifier(positive: Sequence[Union[str, os.PathLike]],
                     negative: Sequence[Union[str, os.PathLike]], output: Union[str, os.PathLike],
                     *, text_field: str = "text", **options: Any) -> dict:
    """Like `juicer train-classifier`: a fastText quality classifier from curated
    (`positive`) and raw (`negative`) JSONL/Parquet files, evaluated on a held-out split;
    writes the model and its sidecar .json and returns the evaluation (with `model_path`).
    `options` are juicer.models.classifier.TrainingOptions fields (epochs, dim, test_share, ...)."""
    from dataclasses import asdict

    from juicer.models import classifier

    from juicer.io.texts import corpus_texts

    evaluation = classifier.train(corpus_texts([os.fspath(p) for p in positive], text_field),
                                  corpus_texts([os.fspath(p) for p in negative], text_field),
                                  os.fspath(output), classifier.TrainingOptions(**options))
    result = asdict(evaluation)
    result.update(result.pop("extra"))
    return result


def train_lm(inputs: Sequence[Union[str, os.PathLike]], output: Union[str, os.PathLike], *,
             text_field: str = "text", held_out: Sequence[Union[str, os.PathLike]] = (),
             **options: Any) -> dict:
    """Like `juicer train-lm`: an n-gram language model for perplexity_filter from the texts
    of JSONL/Parquet files (CCNet normalization, a SentencePiece model trained on them,
    Kneser-Ney n-grams). Writes MODEL.arpa, MODEL.sp.model and MODEL.json; returns the
    sidecar (with `model_path`, and the median perplexity of `held_out` files when given).
    `options` are juicer.models.lm.LMOptions fields (order, vocab_size, min_count)."""
    from juicer.models import lm
    from juicer.io.texts import corpus_texts

    texts = corpus_texts([os.fspath(p) for p in inputs], text_field)
    held = corpus_texts([os.fspath(p) for p in held_out], text_field) if held_out else ()
    return lm.train(texts, os.fspath(output), lm.LMOptions(**options), held_out=held)


@dataclass
class ApplyResult:
    """What `apply(..., detailed=True)` returns; tables are in the input's type."""

    kept: Any
    dropped: Any
    quarantined: Any
    steps: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: _length(getattr(self, name)) for name in ("kept", "dropped", "quarantined")}


class QuarantineWarning(UserWarning):
    """apply() set every document aside: almost always a wrong text field or a failing step."""


def apply(data: Any, steps: StepsLike, *, text_field: Optional[str] = None,
          keep_stats: bool = False, detailed: bool = False, batch_size: int = 8192,
          on_error: str = "quarantine"):
    """Run operators over in-memory data; returns the kept documents in the input's type.

    `steps` is an operator, a list of operators / operator names / `{"op", "params"}` dicts,
    a Recipe or a recipe file (its pipeline and text_field are used; input/output ignored).
    With `detailed=True` returns an ApplyResult with the dropped documents (with
    `__drop_reason__`), the quarantined ones (null or non-string text, or an operator failed
    on them; `on_error="raise"` stops instead) and per-step metrics.
    """
    pipeline, recipe_text_field = _steps(steps)
    text_field = text_field or recipe_text_field or "text"
    kind = _kind_of(data)
    table, quarantined = _to_table(data, kind, text_field)
    kept, dropped, failed, step_reports = _run(pipeline, table, text_field, batch_size, on_error)
    if failed:
        quarantined = pa.concat_tables(
            [quarantined, pa.Table.from_pylist(failed, schema=QUARANTINE_SCHEMA)]).sort_by(ROW_ID)
    kept_columns = [ROW_ID] if keep_stats else [ROW_ID, STATS]
    kept = kept.drop_columns([c for c in kept_columns if c in kept.column_names])
    dropped = dropped.drop_columns([ROW_ID])
    kept_out = _from_table(kept, kind, data)
    if quarantined.num_rows and not kept.num_rows and not dropped.num_rows:
        first = quarantined.slice(0, 1).to_pylist()[0]
        where = f" (row {first['row']})" if first.get("row") is not None else ""
        warnings.warn(f"every one of the {quarantined.num_rows} documents was quarantined; "
                      f"the first{where}: {first['error']} (detailed=True returns them all)",
                      QuarantineWarning, stacklevel=2)
    if not detailed:
        return kept_out
    return ApplyResult(kept_out, _from_table(dropped, kind, data),
                       _from_table(quarantined.drop_columns([ROW_ID]), kind, data), step_reports)


def run(recipe: StepsLike, data: Any, **options: Any):
    """Run a recipe's pipeline (or operators) over in-memory data and return the kept
    documents in the data's type: a pyarrow Table, polars DataFrame or LazyFrame, pandas
    DataFrame, list of dicts, Hugging Face Dataset, Ray Dataset or Dask DataFrame. The data
    crosses as Arrow tables. `options` are those of `apply` (detailed=True for the dropped
    and quarantined rows and per-step metrics). Ray and Dask data are gathered into this
    process: for more than fits in memory, run `juicer process` on the cluster."""
    return apply(data, recipe, **options)


def _steps(steps: StepsLike) -> tuple[list[Step], Optional[str]]:
    if isinstance(steps, Recipe):
        return steps.pipeline, steps.input.text_field
    if isinstance(steps, (str, os.PathLike)) and str(steps).endswith((".yaml", ".yml")):
        recipe = load_recipe(steps)
        return recipe.pipeline, recipe.input.text_field
    if isinstance(steps, (Operator, str, dict)):
        steps = [steps]
    if all(isinstance(s, Operator) for s in steps):
        return steps_from_operators(list(steps)), None
    entries = [{"op": s.name, "params": s.params.model_dump(mode="json")}
               if isinstance(s, Operator) else s for s in steps]
    return build_steps(entries), None


Operator.in_memory = staticmethod(apply)


def _run(pipeline: list[Step], table: pa.Table, text_field: str, batch_size: int,
         on_error: str):
    metrics: dict[str, StepMetrics] = {}
    failed: list[dict] = []
    dropped: list[pa.Table] = []
    decisions: dict[str, pa.Table] = {}  # global step id -> its decisions
    summaries: dict[str, dict] = {}
    for stage in split_into_stages(pipeline):
        if stage.previous_global is not None:
            result = apply_decisions(stage.previous_global, table,
                                     Decisions.from_table(decisions[stage.previous_global.id]),
                                     metrics, text_field)
            dropped.extend(result.dropped)
            table = result.kept
        pieces = []
        for start in range(0, max(table.num_rows, 1), batch_size):
            result = run_steps(stage.steps, table.slice(start, batch_size), text_field, metrics,
                               on_error)
            failed.extend(_quarantine_row(row_id, error, record)
                          for row_id, error, record in result.failed)
            pieces.append(result.kept)
            dropped.extend(result.dropped)
        table = pa.concat_tables(pieces, promote_options="permissive")
        step = stage.global_step
        if step is not None:
            decided, summary = finish(step, _InMemoryPhases(table, text_field))
            decisions[step.id] = pa.concat_tables(decided)
            if summary is not None:
                summaries[step.id] = summary
    reports = [step_report(step, metrics.get(step.id, StepMetrics()), summaries.get(step.id))
               for step in pipeline]
    return table, _concat_dropped(dropped, table.schema), failed, reports


class _InMemoryPhases:
    """A global step's phases in memory: one partition, one shard, the tables themselves
    (juicer.engine.global_steps.Phases; the runner's run them as tasks)."""

    def __init__(self, table: pa.Table, text_field: str):
        self.table, self.text_field = table, text_field

    def reduce(self, kind: GlobalKind, step: Step, decides: bool) -> list[Output]:
        reduced = kind.reduce(step, signatures_of(step, self.table, self.text_field))
        return [Output(reduced, reduced.num_rows, kind.reduce_note(step, reduced))]

    def shard_pass(self, kind: GlobalKind, step: Step, tables: list, decides: bool
                   ) -> list[Output]:
        table, report = kind.shard_pass(step, _combined(kind, step, tables), self.texts_of(step))
        return [Output(table, table.num_rows, report)]

    def combine(self, kind: GlobalKind, step: Step, tables: list, reports: list[dict]):
        return kind.combine(step, _combined(kind, step, tables), reports, self.texts_of(step))

    def texts_of(self, step: Step) -> dedup.TextsOf:
        return _texts_of(self.table, step.operator.text_field(self.text_field))


def _combined(kind: GlobalKind, step: Step, tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if tables else kind.empty(step)


def _texts_of(table: pa.Table, field: str) -> dedup.TextsOf:
    row_ids = table.column(ROW_ID).to_numpy()
    order = np.argsort(row_ids, kind="stable")
    # no rows, no lookups: an empty table may lack the field altogether
    texts = text_values(table, field) if table.num_rows else pa.array([], pa.string())

    def lookup(wanted: np.ndarray) -> list[str]:
        return texts.take(pa.array(order[np.searchsorted(row_ids[order], wanted)])).to_pylist()
    return lookup


def _concat_dropped(dropped: list[pa.Table], kept_schema: pa.Schema) -> pa.Table:
    if not dropped:
        schema = kept_schema
        if STATS in schema.names:
            schema = schema.remove(schema.get_field_index(STATS))
        return schema.empty_table().append_column(DROP_REASON, pa.array([], pa.string()))
    return pa.concat_tables(dropped, promote_options="permissive").sort_by(ROW_ID)


# ------------------------------------------------------------------ input and output types


def _kind_of(data: Any) -> str:
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return "arrow"
    if isinstance(data, list):
        return "list"
    module, name = type(data).__module__, type(data).__name__
    if module.startswith("polars"):
        return "polars_lazy" if name == "LazyFrame" else "polars"
    if module.startswith("datasets"):
        return "hf"
    if module.startswith("pandas") and name == "DataFrame":
        return "pandas"
    if module.startswith("ray.data") and name in ("Dataset", "MaterializedDataset"):
        return "ray"
    if module.startswith(("dask.dataframe", "dask_expr")) and hasattr(data, "npartitions"):
        return "dask"
    raise JuicerError(
        f"apply() takes a pyarrow Table, a polars DataFrame or LazyFrame, a pandas DataFrame, "
        f"a list of dicts, a datasets.Dataset, a Ray Dataset or a Dask DataFrame, not "
        f"{name}")


def _arrow_of(data: Any, kind: str) -> pa.Table:
    """The data as one Arrow table, through Arrow (or pandas' columns), never row objects."""
    if kind == "polars":
        return data.to_arrow()
    if kind == "polars_lazy":
        return data.collect().to_arrow()
    if kind == "hf":
        return data.with_format("arrow")[:]
    if kind == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if kind == "ray":
        import ray

        # every block as the Arrow table it is, gathered in the driver (apply is in memory)
        tables = ray.get(data.to_arrow_refs())
        return pa.concat_tables(tables, promote_options="permissive") if tables else \
            data.schema().base_schema.empty_table()
    if kind == "dask":
        return pa.Table.from_pandas(data.compute(), preserve_index=False)
    return data if isinstance(data, pa.Table) else pa.Table.from_batches([data])


def _to_table(data: Any, kind: str, text_field: str) -> tuple[pa.Table, pa.Table]:
    """The data as an Arrow table with row ids, and the rows whose text is unusable."""
    quarantine: list[dict] = []
    if kind == "list":
        records, row_ids = [], []
        for index, record in enumerate(data):
            problem = record_problem(record, text_field, not_a_record="a record must be a dict")
            if problem:
                quarantine.append(_quarantine_row(index, problem, record))
            else:
                records.append(record)
                row_ids.append(index)
        try:
            table = pa.Table.from_pylist(records) if records else \
                pa.table({text_field: pa.array([], pa.string())})
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            from juicer.io.records import type_conflict

            conflict = type_conflict(records).replace(" of the block", "")
            raise JuicerError(f"the records do not fit one table: {conflict or exc}",
                              hint="give each field one type (or convert the data to a pyarrow "
                              "Table yourself)") from None
        table = table.add_column(0, ROW_ID, pa.array(row_ids, pa.int64()))
        return table, pa.Table.from_pylist(quarantine, schema=QUARANTINE_SCHEMA)
    table = _arrow_of(data, kind)
    path = is_path(table, text_field)
    if text_field not in table.column_names and not path:
        raise JuicerError(f"the data has no column '{text_field}' (columns: "
                          f"{', '.join(table.column_names)})"
                          f"{registry.did_you_mean(text_field, table.column_names)}")
    column = text_values(table, text_field)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
            or pa.types.is_string_view(column.type)):
        raise JuicerError(f"column '{text_field}' holds {column.type}, not text")
    if not path:
        table = table.set_column(table.schema.get_field_index(text_field), text_field,
                                 column.cast(pa.string()))
    table = table.add_column(0, ROW_ID, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    nulls = column.is_null().to_numpy(zero_copy_only=False)
    if nulls.any():
        for index in np.flatnonzero(nulls):
            record = table.slice(int(index), 1).drop_columns([ROW_ID]).to_pylist()[0]
            quarantine.append(_quarantine_row(int(index), f"field '{text_field}' is null",
                                              record))
        table = table.filter(pa.array(~nulls))
    return table, pa.Table.from_pylist(quarantine, schema=QUARANTINE_SCHEMA)


def _quarantine_row(index: int, error: str, record: Any) -> dict:
    return {ROW_ID: index, "file": None, "line": None, "row": index, "error": error,
            "raw": repr(record)[:2000]}


def _from_table(table: pa.Table, kind: str, like: Any = None):
    if kind == "arrow":
        return table
    if kind == "list":
        return table.to_pylist()
    if kind in ("polars", "polars_lazy"):
        import polars as pl

        frame = pl.from_arrow(table)
        return frame.lazy() if kind == "polars_lazy" else frame
    if kind == "pandas":
        return table.to_pandas()
    if kind == "ray":
        import ray

        return ray.data.from_arrow(table)
    if kind == "dask":
        import dask.dataframe as dd

        partitions = max(1, min(getattr(like, "npartitions", 1), table.num_rows))
        return dd.from_pandas(table.to_pandas(), npartitions=partitions, sort=False)
    import datasets

    return datasets.Dataset(datasets.table.InMemoryTable(table))


def _length(data: Any) -> int:
    if isinstance(data, pa.Table):
        return data.num_rows
    if hasattr(data, "count") and type(data).__module__.startswith("ray.data"):
        return data.count()
    if type(data).__name__ == "LazyFrame":
        import polars as pl

        return data.select(pl.len()).collect().item()
    return len(data)
