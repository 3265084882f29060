"""Operator kinds: Mapper (row-local rewrite), Filter (stats -> named rules -> keep) and
Deduplicator (global: signatures per shard, decisions per partition).

An operator is a small class with a nested `Params` model. The same model validates a recipe
step and a Python constructor call, so both report mistakes the same way.
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, ClassVar, Optional

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from juicer.core.batch import ROW_ID, Batch
from juicer.core.rules import Rule, bound  # noqa: F401 - operators import Rule from here

MAX_INT = 2**63 - 1  # Data-Juicer's default upper bound (sys.maxsize)


class OpParams(BaseModel):
    """Parameters every operator accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text_key: Optional[str] = Field(
        None, description="Field or path (`messages[-1].content`) holding the text; defaults "
        "to the recipe's `input.text_field`."
    )


class FilterParams(OpParams):
    """Data-Juicer's range options, shared by every filter."""

    min_closed_interval: bool = Field(True, description="Whether the minimum itself is kept.")
    max_closed_interval: bool = Field(True, description="Whether the maximum itself is kept.")
    reversed_range: bool = Field(
        False, description="Keep documents OUTSIDE [min, max] instead of inside."
    )


def check_min_max(params: BaseModel, low: str, high: str) -> None:
    """Refuse a range whose lower bound is above its upper bound."""
    lo, hi = getattr(params, low), getattr(params, high)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"{low} ({lo}) is greater than {high} ({hi}); nothing could be kept")


class RangeParams(FilterParams):
    """Base for filters with one min/max pair; subclasses name the pair in `_range`."""

    _range: ClassVar[tuple[str, str]] = ("min", "max")

    @model_validator(mode="after")
    def _min_not_above_max(self):
        check_min_max(self, *self._range)
        return self


class LanguageParams(OpParams):
    """Data-Juicer's options of word-based operators."""

    lang: str = Field("en", description="Language of the documents.")
    tokenization: bool = Field(
        False, description="Split words with the language's segmenter (spaCy's rules; jieba "
        "for zh, MeCab for ja, pythainlp for th) instead of on whitespace. Data-Juicer uses "
        "sentencepiece models here, which it downloads; counts differ from those.")


class WordsParams(RangeParams, LanguageParams):
    """Data-Juicer's options of word-based filters."""


def range_rules(params: FilterParams, stat: str, low: str, high: str) -> list[Rule]:
    """Rules for Data-Juicer's `min <= stat <= max` filters, honouring its interval options;
    a document without the stat (NaN) fails them, as in Data-Juicer."""
    lo, hi = getattr(params, low), getattr(params, high)
    if params.reversed_range:
        # Data-Juicer flips the closedness and keeps what lies outside the range.
        lo_closed, hi_closed = not params.min_closed_interval, not params.max_closed_interval

        def outside(values: np.ndarray) -> np.ndarray:
            inside = np.ones(len(values), dtype=bool)
            if lo is not None:
                inside &= values >= lo if lo_closed else values > lo
            if hi is not None:
                inside &= values <= hi if hi_closed else values < hi
            return ~inside

        # `outside` keeps a missing stat (it lies inside no range), as Data-Juicer does
        return [Rule("reversed_range", stat, "outside", [lo, hi], outside)]
    rules = []
    if lo is not None:
        rules.append(bound(low, stat, ">=" if params.min_closed_interval else ">", lo))
    if hi is not None:
        rules.append(bound(high, stat, "<=" if params.max_closed_interval else "<", hi))
    return rules


class Operator:
    """Base of all operators. `__init__` is cheap and validated; `setup()` loads heavy state
    once per worker. Workers rebuild operators from (name, params): nothing is pickled."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    Params: ClassVar[type[OpParams]] = OpParams
    #: Python packages the operator imports in setup(), with the extra that provides them.
    requires_packages: ClassVar[dict[str, str]] = {}
    #: what one task running this operator needs on a cluster (cpus, gpus, memory such as
    #: "2GB"); a recipe step's `resources:` overrides it
    resources: ClassVar[dict[str, Any]] = {}

    def __init__(self, params: OpParams | dict | None = None, /, **kwargs: Any):
        if isinstance(params, OpParams):
            if kwargs:
                params = params.model_copy(update=kwargs)
            self.params = self.Params.model_validate(params.model_dump())
        else:
            self.params = self.Params(**{**(params or {}), **kwargs})
        self._ready = False

    def task_resources(self) -> dict[str, Any]:
        """What one task running this operator needs, given its params (default: the class's
        `resources`); a recipe step's `resources:` overrides it."""
        return dict(self.resources)

    def setup(self) -> None:
        """Load models or tables; called once per worker before the first batch."""

    @classmethod
    def missing_packages(cls) -> dict[str, str]:
        """The packages of `requires_packages` that are not installed, with their extras."""
        import importlib.util

        return {package: extra for package, extra in cls.requires_packages.items()
                if importlib.util.find_spec(package) is None}

    @classmethod
    def install_hint(cls) -> str:
        """What to run so that every package this operator needs is installed."""
        extras = sorted(set(cls.missing_packages().values()))
        return f"pip install 'juicer-llm[{','.join(extras)}]'" if extras else ""

    def ensure_setup(self) -> None:
        if not self._ready:
            if self.missing_packages():
                from juicer.errors import JuicerError

                raise JuicerError(f"{self.name} needs {', '.join(self.missing_packages())}, "
                                  f"which is not installed: {self.install_hint()}")
            self.setup()
            self._ready = True

    #: what runs `operator(data)`: juicer.api installs its `apply` here when it loads, so
    #: that this base class, below the API, never imports it
    in_memory: ClassVar[Optional[Callable[..., Any]]] = None

    def __call__(self, data: Any, **options: Any):
        """Apply this operator alone to in-memory data; see `juicer.apply`."""
        return Operator.in_memory(data, [self], **options)

    def text_field(self, default: str) -> str:
        return self.params.text_key or default

    @classmethod
    def params_after_move(cls, params: dict, moved_text: str) -> dict:
        """A step's params once an earlier step moved the text to `moved_text`: it reads the
        text there unless it names its own text_key."""
        if params.get("text_key") or "text_key" not in cls.Params.model_fields:
            return params
        return {**params, "text_key": moved_text}

    def text_key_after(self) -> Optional[str]:
        """Where the document's text is after this step, when the step moves it (a layout
        conversion); the recipe points the later steps' `text_key` there."""
        return None

    def __repr__(self) -> str:
        changed = self.params.model_dump(exclude_defaults=True)
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Everything `juicer ops show` prints: doc, params with defaults, stats, rules."""
        params = []
        # the operator's own params first, the shared ones (text_key, interval options) last
        shared = [n for n in FilterParams.model_fields if n in cls.Params.model_fields]
        own = [n for n in cls.Params.model_fields if n not in shared]
        for field_name in own + shared:
            field = cls.Params.model_fields[field_name]
            default = field.default
            if field.is_required():  # no default: the recipe must give it
                default = "required"
            elif isinstance(default, float) and math.isinf(default):
                default = str(default)
            params.append({
                "name": field_name,
                "type": _type_name(field.annotation),
                "default": default,
                "description": field.description or "",
            })
        return {
            "name": cls.name,
            "kind": cls.kind,
            "summary": " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split()),
            "doc": inspect.cleandoc(cls.__doc__ or ""),
            "params": params,
            "stats": list(getattr(cls, "stats", ())),
            "module": cls.__module__,
            "extras": sorted(set(cls.requires_packages.values())),
        }


def _type_name(annotation: Any) -> str:
    if getattr(annotation, "__args__", None):  # Optional[int], Literal[...], list[str]
        return str(annotation).replace("typing.", "").replace("NoneType", "None")
    return getattr(annotation, "__name__", None) or str(annotation)


class Mapper(Operator):
    """Rewrites documents row by row. Override `map_text` (text in, text out) or `process`."""

    kind = "mapper"

    def process(self, batch: Batch, text_field: str) -> pa.Table:
        from juicer.core.fields import with_text

        field = self.text_field(text_field)
        return with_text(batch.table, field, self.map_text(batch.text(field)))

    def map_text(self, text: pa.Array) -> pa.Array:
        raise NotImplementedError


class Filter(Operator):
    """Computes named stats for each document, then keeps those passing every rule.
    The first failing rule is the drop reason."""

    kind = "filter"
    Params: ClassVar[type[OpParams]] = FilterParams
    #: stat name -> Arrow type, in the order they are written to `__stats__`.
    stats: ClassVar[dict[str, pa.DataType]] = {}

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        raise NotImplementedError

    def compute(self, batch: Batch, text_field: str) -> tuple[dict[str, pa.Array],
                                                            Optional[pa.Array]]:
        """The stats, and for the few filters that also clean what they keep (C4's line
        rules), the new text of every row; None leaves the text as it is. Dropped documents
        keep their original text."""
        return self.compute_stats(batch, text_field), None

    def rules(self) -> list[Rule]:
        raise NotImplementedError

    @classmethod
    def describe(cls) -> dict[str, Any]:
        entry = super().describe()
        try:
            entry["rules"] = [rule.name for rule in cls().rules()]
        except Exception:  # params without defaults: rules depend on what the user sets
            entry["rules"] = []
        if "reversed_range" in cls.Params.model_fields:
            entry["rules"].append("reversed_range")
        return entry

    def decide(self, stats: dict[str, pa.Array]) -> tuple[np.ndarray, np.ndarray]:
        """Return (keep mask, index of the first failing rule or -1) for each document."""
        return first_failures(self.rule_failures(stats))

    def rule_failures(self, stats: dict[str, pa.Array]) -> np.ndarray:
        """(rules x documents): whether each document fails each rule, every rule checked
        (the report's per-rule histograms and rule overlap need all of them)."""
        rules = self.rules()
        n = len(next(iter(stats.values()))) if stats else 0
        fails = np.zeros((len(rules), n), dtype=bool)
        for index, rule in enumerate(rules):
            values = stats[rule.stat].to_numpy(zero_copy_only=False)
            fails[index] = ~np.asarray(rule.passes(values), dtype=bool)
        return fails


def first_failures(fails: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keep mask, index of the first failing rule or -1) from a rules x documents matrix."""
    failing = fails.any(axis=0) if len(fails) else np.zeros(fails.shape[1], dtype=bool)
    first = np.where(failing, fails.argmax(axis=0) if len(fails) else 0, -1).astype(np.int16)
    return ~failing, first


class GlobalOperator(Operator):
    """An operator that must see the whole dataset before deciding. Map phase:
    `signatures(batch)` gives, per document, a table with a `key_hash` uint64 column (it
    routes the document to a reduce partition) and whatever the decision needs. Reduce
    phase: `find_drops(signatures)` sees every signature of one partition (plus
    `__row_id__`) and returns the `__row_id__` of each document to drop, with the columns of
    `drop_stats`; they are dropped as `<step_id>:<drop_rule>`."""

    #: the rule name of every drop this operator makes
    drop_rule: ClassVar[str] = ""
    #: stat name -> Arrow type of the extra columns find_drops returns
    drop_stats: ClassVar[dict[str, pa.DataType]] = {}

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        raise NotImplementedError

    def find_drops(self, signatures: pa.Table) -> pa.Table:
        raise NotImplementedError

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {**super().describe(), "rules": [cls.drop_rule], "stats": list(cls.drop_stats)}


class DedupParams(OpParams):
    annotate: bool = Field(
        False, description="Keep every document and only write the `dup_cluster` and "
        "`dup_cluster_size` stats, instead of dropping all but the first of each cluster.")


class Deduplicator(GlobalOperator):
    """Finds clusters of duplicate documents and keeps the first (lowest row id) of each.

    Map: `signatures(batch)` gives rows with a `key_hash` (documents that may be duplicates
    share one) and `__row_id__`; a document may have several rows (LSH bands). Reduce, per
    partition: `candidate_pairs(signatures)` returns pairs (`__row_id__`, `duplicate_of`)
    with `duplicate_of` < `__row_id__`. When `verify_threshold` is set, each pair is kept
    only if its `similarity` reaches it. The runner then joins the pairs
    into clusters across all partitions (connected components)."""

    kind = "deduplicator"
    drop_rule = "duplicate"
    #: written for every member of a cluster: the row id of its kept document and its size
    drop_stats = {"dup_cluster": pa.int64(), "dup_cluster_size": pa.int64()}
    Params: ClassVar[type[OpParams]] = DedupParams

    def candidate_pairs(self, signatures: pa.Table) -> pa.Table:
        raise NotImplementedError

    @property
    def verify_threshold(self) -> Optional[float]:
        """Pairs whose `similarity` is below this are rejected; None: no verification."""
        return None

    def similarity(self, texts: list[str], left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Similarity of the pairs (texts[left[i]], texts[right[i]])."""
        raise NotImplementedError

    def find_drops(self, signatures: pa.Table) -> pa.Table:
        return self.candidate_pairs(signatures)


class SegmentParams(OpParams):
    """Data-Juicer's `document_line_deduplicator` options."""

    frequency_threshold: int = Field(
        6, ge=1, description="A segment found in MORE than this many documents is repeated.")
    keep_first: bool = Field(
        True, description="Keep a repeated segment in the first document that has it (lowest "
        "row id); false removes it from every document, as Data-Juicer does.")
    lowercase: bool = Field(False, description="Compare segments lowercased.")
    ignore_special_character: bool = Field(
        False, description="Ignore whitespace, digits and ASCII punctuation when comparing.")
    min_line_length: int = Field(
        2, ge=0, description="Segments shorter than this (stripped) are never removed.")
    skip_brackets: bool = Field(True, description="Never remove segments of only {}[]();.")
    skip_markdown_headers: bool = Field(True, description="Never remove segments starting "
                                        "with `#`.")
    skip_latex_env: bool = Field(True, description="Never remove LaTeX \\begin{..}/\\end{..}.")
    skip_html_tags: bool = Field(True, description="Never remove segments that are one HTML tag.")


class SegmentDeduplicator(GlobalOperator):
    """Removes segments (lines or paragraphs, split on `separator`) that repeat in more than
    `frequency_threshold` documents: boilerplate such as navigation, cookie notices and
    licence headers. Documents are rewritten, never dropped. Map: the distinct segment
    hashes of each document; reduce, per partition: the (document, segment) pairs to remove."""

    kind = "deduplicator"
    drop_rule = "repeated_segment"
    separator: ClassVar[str] = "\n"
    Params: ClassVar[type[OpParams]] = SegmentParams

    def segments(self, texts: pa.Array):
        from juicer.text.segments import Segments, segment_hashes, split_segments

        params = self.params
        pieces, doc = split_segments(texts, self.separator)
        exempt = [rule for flag, rule in (
            (params.skip_brackets, r"^\s*[{}\[\]();]+\s*$"),
            (params.skip_markdown_headers, r"^\s*#"),
            (params.skip_latex_env, r"^\s*\\(begin|end)\{"),
            (params.skip_html_tags, r"(?i)^\s*</?[a-z][a-z0-9]*[^>]*>?\s*$")) if flag]
        hashes = segment_hashes(
            pieces, lowercase=params.lowercase,
            ignore_pattern=r"\s+|\d+|[!-/:-@\[-`{-~]" if params.ignore_special_character else None,
            exempt_pattern="|".join(f"(?:{rule})" for rule in exempt) or None,
            min_length=params.min_line_length)
        return Segments(pieces, doc, hashes)

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        segments = self.segments(batch.text(self.text_field(text_field)))
        counted = segments.hashes != 0
        pairs = np.unique(np.stack([batch.table.column(ROW_ID).to_numpy()[segments.doc[counted]],
                                    segments.hashes[counted].view(np.int64)], axis=1), axis=0)
        return pa.table({"key_hash": pa.array(pairs[:, 1].view(np.uint64), pa.uint64()),
                         ROW_ID: pa.array(pairs[:, 0], pa.int64())})

    def find_drops(self, signatures: pa.Table) -> pa.Table:
        """(row id, segment hash) of every repeated segment to remove."""
        import polars as pl

        frame = pl.from_arrow(signatures.select([ROW_ID, "key_hash"]))
        counted = frame.with_columns(
            pl.len().over("key_hash").alias("documents"),
            pl.col(ROW_ID).min().over("key_hash").alias("first"))
        remove = counted.filter(pl.col("documents") > self.params.frequency_threshold)
        if self.params.keep_first:
            remove = remove.filter(pl.col(ROW_ID) != pl.col("first"))
        return remove.select(ROW_ID, "key_hash", "documents").sort(ROW_ID, "key_hash").to_arrow()


class SpanDeduplicator(GlobalOperator):
    """Removes exact repeats of at least `length_threshold` bytes from later documents (and
    later places of the same document), keeping the first occurrence. Map: content-defined
    anchors of each document; reduce, per partition: each later occurrence of an anchor with
    its first occurrence; then, per shard, the matches are extended byte by byte into the
    spans to remove (see juicer.text.substrings)."""

    kind = "deduplicator"
    drop_rule = "repeated_span"

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        from juicer.text.substrings import anchors

        docs, offsets, hashes = anchors(batch.text(self.text_field(text_field)).to_pylist(),
                                        self.params.length_threshold)
        return pa.table({"key_hash": pa.array(hashes, pa.uint64()),
                         ROW_ID: pa.array(batch.table.column(ROW_ID).to_numpy()[docs], pa.int64()),
                         "offset": pa.array(offsets, pa.int64())})

    def find_drops(self, signatures: pa.Table) -> pa.Table:
        """Every later occurrence of an anchor, with the first occurrence of its hash."""
        import polars as pl

        frame = pl.from_arrow(signatures.select(["key_hash", ROW_ID, "offset"])).sort(
            ["key_hash", ROW_ID, "offset"]).with_columns(
            pl.col(ROW_ID).first().over("key_hash").alias("first_row"),
            pl.col("offset").first().over("key_hash").alias("first_offset"))
        later = frame.filter((pl.col(ROW_ID) != pl.col("first_row"))
                             | (pl.col("offset") != pl.col("first_offset")))
        return later.select(ROW_ID, "offset", "first_row", "first_offset").sort(
            ROW_ID, "offset").to_arrow()

    def find_spans(self, occurrences: pa.Table, texts_of) -> pa.Table:
        """The byte spans to remove from the later documents of these occurrences."""
        from juicer.text.substrings import repeated_spans, spans_table

        rows = occurrences.column(ROW_ID).to_numpy()
        firsts = occurrences.column("first_row").to_numpy()
        ids, inverse = np.unique(np.concatenate([rows, firsts]), return_inverse=True)
        spans = repeated_spans(texts_of(ids), inverse[:len(rows)],
                               occurrences.column("offset").to_numpy(), inverse[len(rows):],
                               occurrences.column("first_offset").to_numpy(),
                               self.params.length_threshold)
        return spans_table(ids, spans)


class Selector(GlobalOperator):
    """Keeps a subset chosen over the whole dataset (top-k, sampling). Override
    `selection_keys(batch)` (the columns the choice depends on) and `select(keys)` (a
    boolean keep mask, given the keys of every document with their `__row_id__`, sorted by
    row id). All keys meet in one partition: a selection needs the global view."""

    kind = "selector"
    drop_rule = "not_selected"

    def selection_keys(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        return {}

    def select(self, keys: pa.Table) -> np.ndarray:
        raise NotImplementedError

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        keys = self.selection_keys(batch, text_field)
        return pa.table({"key_hash": pa.array(np.zeros(len(batch), np.uint64)), **keys})

    def find_drops(self, signatures: pa.Table) -> pa.Table:
        keys = signatures.drop_columns(["key_hash"]).sort_by(ROW_ID)
        keep = np.asarray(self.select(keys), dtype=bool)
        return keys.select([ROW_ID]).filter(pa.array(~keep))


OPERATOR_KINDS = {cls.kind: cls for cls in (Mapper, Filter, Deduplicator, Selector)}
