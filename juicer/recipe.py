"""Recipes: load YAML (Juicer's layout or Data-Juicer's), apply overrides, validate every
step against its operator's Params, and report all mistakes at once with their location."""
from __future__ import annotations

import copy
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, \
    model_validator

from juicer import registry
from juicer._version import __version__
from juicer.errors import JuicerError, Problem, RecipeError
from juicer.io import fs
from juicer.operator import Operator
from juicer.yamlio import line_of, load_value, load_with_lines

_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(value: Union[int, str]) -> int:
    """'64MB', '1GiB' or a plain number of bytes."""
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().replace(" ", "")
    number = text.rstrip("KMGIB")
    unit = text[len(number):]
    try:
        return int(float(number) * _SIZE_UNITS[unit])
    except (ValueError, KeyError, OverflowError):  # OverflowError: inf
        raise ValueError(f"'{value}' is not a size; write e.g. 64MB, 512KiB or 1000000") from None


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(_Section):
    paths: list[str] = Field(description="Files, directories or globs (.jsonl, .json, "
                             ".parquet, .arrow, .csv, .tsv, .txt, .warc, .wet; JSONL, CSV and "
                             "text also .gz/.zst; a Hugging Face save_to_disk folder).")
    text_field: str = Field("text", description="Field holding each document's text, or a "
                            "path into the record such as messages[-1].content.")
    text_unit: Literal["file", "line"] = Field(
        "file", description="What one document is in a plain-text (.txt) input: the whole "
        "file, or each line that holds more than whitespace.")
    shard_size: int = Field(32 * 10**6, gt=0, description="Bytes of input per work unit "
                            "(big files are split, small ones grouped).")
    batch_size: int = Field(2048, gt=0, description="Documents per Arrow batch inside a work unit.")
    strict: bool = Field(False, description="Stop at the first unreadable record instead of "
                         "quarantining it.")
    max_document_bytes: int = Field(
        10 * 10**6, gt=0, description="Documents whose text is longer (UTF-8 bytes) go to "
        "quarantine instead of through the operators (e.g. 10MB).")

    @field_validator("paths", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("shard_size", "max_document_bytes", mode="before")
    @classmethod
    def _size(cls, value):
        return parse_size(value)


class OutputSpec(_Section):
    path: str = Field(description="Directory that receives data/, dropped/, quarantine/ and reports.")
    format: Literal["parquet", "jsonl", "arrow"] = Field(
        "parquet", description="File format of the outputs (arrow: Arrow IPC files).")
    shard_rows: int = Field(100_000, gt=0, description="Documents per output file.")
    keep_stats: bool = Field(False, description="Keep the __stats__ column in data/.")
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet compression.")
    staging: Optional[str] = Field(
        None, description="When path is a URL (s3://...): where the run is built before it "
        "is published, and from which an interrupted run resumes: a local or shared folder "
        "(default: ~/.cache/juicer/staging/<hash of the URL>, or $JUICER_STAGING), or a URL "
        "on the same store, so that workers on several machines need no shared filesystem.")
    group_by: Optional[list[str]] = Field(
        None, description="Fields whose values the report breaks the drop rates down by "
        "(e.g. [source, lang]; a dotted path reads a nested field). Default: those of "
        "source, lang, language, domain, dataset, subset that the data has; [] for none.")
    count_tokens: Optional[str] = Field(
        None, description="Tokenizer whose token counts of the input and of the kept "
        "documents the report shows (cl100k_base, o200k_base, a tokenizer.json or "
        "SentencePiece .model path; extra models). Off by default: it tokenizes the input "
        "and the output once more.")

    @model_validator(mode="after")
    def _staging_needs_a_url(self):
        if self.staging and not fs.is_url(self.path):
            raise ValueError("staging applies only when path is a URL (s3://...); a local "
                             "path is built in place")
        return self


class ExecutorSpec(_Section):
    kind: Literal["local", "dask", "ray"] = Field("local", description="Where work runs.")
    workers: Optional[int] = Field(None, ge=1, description="Worker processes (default: CPU count).")
    address: Optional[str] = Field(None, description="Cluster address for dask/ray.")
    partitions: Optional[int] = Field(
        None, ge=1, le=65536,
        description="Reduce partitions of a global step (dedup, selectors): each reduce task "
                    "holds one partition's signatures. Default: one per shard up to 64, and "
                    "one per 2 GB of input beyond 128 GB. The output does not depend on it.")


class Resources(_Section):
    """What one task running a step needs on a cluster (Ray and Dask schedule by it; the
    local executor runs `workers` tasks at a time whatever they ask)."""

    cpus: float = Field(1, gt=0, description="CPU cores per task.")
    gpus: float = Field(0, ge=0, description="GPUs per task (model operators).")
    memory: Optional[int] = Field(None, gt=0, description="Memory per task, e.g. 4GB (Ray "
                                  "reserves it; Dask needs workers started with "
                                  "--resources MEMORY=<bytes>).")

    @field_validator("memory", mode="before")
    @classmethod
    def _size(cls, value):
        return None if value is None else parse_size(value)

    def is_default(self) -> bool:
        return self == Resources()


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    op: str
    id: str
    params: dict[str, Any]
    operator: Operator = Field(exclude=True)
    resources: Resources = Resources()


class Recipe(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    source: str = "<recipe>"
    input: InputSpec
    output: OutputSpec
    executor: ExecutorSpec = ExecutorSpec()
    pipeline: list[Step]
    on_error: Literal["quarantine", "raise"] = "quarantine"
    notes: list[str] = []
    # how it was written: calibrate edits the file itself only when it is Juicer's layout
    # and no --set changed it
    layout: Literal["juicer", "data_juicer"] = "juicer"
    overrides: list[str] = []

    def resolved(self) -> dict[str, Any]:
        """The recipe with every default filled, as written to recipe.resolved.yaml."""
        return {
            "juicer_version": __version__,
            "input": self.input.model_dump(),
            "output": self.output.model_dump(),
            "executor": self.executor.model_dump(),
            "on_error": self.on_error,
            "pipeline": [{"op": s.op, "id": s.id, "params": s.params,
                          **({} if s.resources.is_default() else
                             {"resources": s.resources.model_dump(exclude_none=True)})}
                         for s in self.pipeline],
        }

    @property
    def kept_text_field(self) -> str:
        """Where the kept documents' text is: input.text_field, unless a step moved it."""
        return final_text_field(self.pipeline, self.input.text_field)

    def to_yaml(self, extra: Optional[dict] = None) -> str:
        data = self.resolved()
        data.update(extra or {})
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def final_text_field(steps: list[Step], text_field: str) -> str:
    for step in steps:
        text_field = step.operator.text_key_after() or text_field
    return text_field


_SECTIONS = {"input": InputSpec, "output": OutputSpec, "executor": ExecutorSpec}
_TOP_LEVEL = {"name", "description", "input", "output", "executor", "pipeline", "on_error"}
_STEP_KEYS = {"op", "id", "params", "resources"}


_NATIVE_KEYS = {"input", "output", "executor", "pipeline", "on_error", "name", "description"}


def load_recipe(source: Union[str, os.PathLike, dict], overrides: list[str] = ()) -> Recipe:
    """Load and validate a recipe file (or dict). Raises RecipeError listing every mistake."""
    if isinstance(source, dict):
        data, lines, name, base = copy.deepcopy(source), {}, "<recipe>", Path.cwd()
    else:
        path = Path(source)
        if not path.is_file():
            raise RecipeError([Problem(str(path), "no such recipe file",
                                       "check the path; recipes live in recipes/")], str(path))
        name, base = str(path), path.resolve().parent
        try:
            data, lines = load_with_lines(path.read_text(encoding="utf-8"), name)
        except ValueError as exc:
            where, _, message = str(exc).partition(": ")
            raise RecipeError([Problem(where, message, "YAML needs consistent indentation "
                                       "and closed brackets and quotes")], name) from None
    if not isinstance(data, dict):
        raise RecipeError([Problem(name, "a recipe is a YAML mapping with input, output and "
                                   "pipeline", "see docs/recipes.md")], name)
    notes: list[str] = []
    problems: list[Problem] = []
    original_overrides = list(overrides)
    data_juicer = "process" in data or "dataset_path" in data
    if data_juicer:
        # Data-Juicer's own keys (dataset_path=..., export_path=...) are set in its layout
        own = [o for o in overrides if o.split("=", 1)[0].split(".")[0] not in _NATIVE_KEYS]
        for override in own:
            _apply_override(data, override, problems)
        overrides = [o for o in overrides if o not in own]
        data, lines = _from_data_juicer(data, lines, notes)
        base = Path.cwd()  # Data-Juicer resolves relative paths from the working directory
    for override in overrides:
        _apply_override(data, override, problems)
    _resolve_step_paths(data, base)
    recipe = _validate(data, lines, name, problems)
    if problems:
        raise RecipeError(problems, name)
    recipe.notes = notes
    recipe.overrides = list(original_overrides)
    recipe.layout = "data_juicer" if data_juicer else "juicer"
    recipe.input.paths = [_resolve(p, base) for p in recipe.input.paths]
    recipe.output.path = _resolve(recipe.output.path, base)
    tokenizer = recipe.output.count_tokens
    if tokenizer and "://" not in tokenizer and (base / tokenizer).exists():
        recipe.output.count_tokens = _resolve(tokenizer, base)
    return recipe


def build_steps(pipeline: list, source: str = "<python>") -> list[Step]:
    """Validate a list of steps (`{"op": ..., "params": ...}`, or operator names)."""
    problems: list[Problem] = []
    steps = _validate_pipeline(pipeline, {}, source, problems)
    if problems:
        raise RecipeError(problems, source)
    return steps


def steps_from_operators(operators: list[Operator]) -> list[Step]:
    """Steps for operator instances built in Python, with ids as a recipe would give them
    (and, after a step that moves the text, pointed at it as a recipe's steps are)."""
    steps, used = [], set()
    moved_text = None
    for operator in operators:
        step_id = _free_id(operator.name, used)
        used.add(step_id)
        params = operator.params.model_dump(mode="json")
        adapted = type(operator).params_after_move(params, moved_text) if moved_text else params
        if adapted != params:
            operator = type(operator)(adapted)
            params = operator.params.model_dump(mode="json")
        steps.append(Step(op=operator.name, id=step_id, operator=operator, params=params,
                          resources=Resources(**operator.task_resources())))
        moved_text = operator.text_key_after() or moved_text
    return steps


def _resolve_step_paths(data: dict, base: Path) -> None:
    """Operator parameters named `*_path` or `*_dir` (benchmarks, models, word lists) are
    relative to the recipe, like its input and output paths; so is a `tokenizer` that names
    a file beside the recipe (otherwise it is a built-in encoding's name)."""
    pipeline = data.get("pipeline")
    for step in pipeline if isinstance(pipeline, list) else []:
        params = step.get("params") if isinstance(step, dict) else None
        for key, value in (params or {}).items() if isinstance(params, dict) else []:
            if names_a_file(key, value, base):
                params[key] = _resolve(value, base)


_TOKENIZER_PARAMS = ("tokenizer", "hf_tokenizer")


def names_a_file(param: str, value: Any, base: Path) -> bool:
    """Whether a step param's value is a path relative to the recipe at `base`: any
    `*_path` or `*_dir`, and a tokenizer that names a file there (else it is a built-in
    encoding's name, cl100k_base)."""
    if not isinstance(value, str) or not value:
        return False
    return param.endswith(("_path", "_dir")) or (
        param in _TOKENIZER_PARAMS and "://" not in value and (base / value).exists())


def _resolve(path: str, base: Path) -> str:
    if "://" in path or os.path.isabs(path):
        return path
    return os.path.normpath(str(base / path))


def _where(name: str, lines: dict, path: tuple, label: str) -> str:
    line = line_of(lines, path)
    return f"{name}:{line} {label}" if line else f"{name} {label}"


def _validate(data: dict, lines: dict, name: str, problems: list[Problem]) -> Optional[Recipe]:
    for key in data:
        if key not in _TOP_LEVEL:
            problems.append(Problem(_where(name, lines, (key,), key), f"unknown setting '{key}'"
                                    f"{registry.did_you_mean(key, _TOP_LEVEL)}",
                                    "top-level settings: " + ", ".join(sorted(_TOP_LEVEL))))
    sections: dict[str, Any] = {}
    for key, model in _SECTIONS.items():
        raw = data.get(key, {} if key == "executor" else None)
        if raw is None:
            problems.append(Problem(name, f"missing '{key}' section",
                                    f"add '{key}:' with at least "
                                    f"{'paths' if key == 'input' else 'path'}"))
            continue
        if not isinstance(raw, dict):
            raw = {"paths": raw} if key == "input" else {"path": raw} if key == "output" else raw
        try:
            sections[key] = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, name, lines, (key,), key, model))
    steps = _validate_pipeline(data.get("pipeline"), lines, name, problems)
    on_error = data.get("on_error", "quarantine")
    if on_error not in ("quarantine", "raise"):
        problems.append(Problem(_where(name, lines, ("on_error",), "on_error"),
                                f"on_error must be 'quarantine' or 'raise', not {on_error!r}",
                                "quarantine sets documents an operator fails on aside; raise "
                                "stops the run"))
    if problems:
        return None
    return Recipe(source=name, pipeline=steps, on_error=on_error, **sections)


def _validate_pipeline(pipeline, lines, name, problems) -> list[Step]:
    if pipeline is None:
        problems.append(Problem(name, "missing 'pipeline'", "add 'pipeline:' with a list of "
                                "steps, e.g. '- op: text_length_filter'"))
        return []
    if not isinstance(pipeline, list):
        problems.append(Problem(_where(name, lines, ("pipeline",), "pipeline"),
                                "pipeline must be a list of steps"))
        return []
    steps, used_ids = [], set()
    moved_text = None  # where an earlier step (format_convert_mapper) moved the text
    for index, raw in enumerate(pipeline):
        path = ("pipeline", index)
        label = f"pipeline[{index}]"
        if isinstance(raw, str):
            raw = {"op": raw}
        if not isinstance(raw, dict) or "op" not in raw:
            problems.append(Problem(_where(name, lines, path, label), "a step needs 'op: NAME'"))
            continue
        for key in raw:
            if key not in _STEP_KEYS:
                problems.append(Problem(_where(name, lines, path + (key,), f"{label}.{key}"),
                                        f"unknown step key '{key}'"
                                        f"{registry.did_you_mean(key, _STEP_KEYS)}",
                                        "a step has op, id, params and resources"))
        op_name = str(raw["op"])
        label = f"pipeline[{index}] ({op_name})"
        try:
            cls = registry.get(op_name)
        except JuicerError as exc:
            problems.append(Problem(_where(name, lines, path + ("op",), label), str(exc),
                                    "`juicer ops list` shows every operator"))
            continue
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            problems.append(Problem(_where(name, lines, path + ("params",), label + ".params"),
                                    "params must be a mapping of name: value"))
            continue
        if moved_text:
            params = cls.params_after_move(params, moved_text)
        try:
            operator = cls(params)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, name, lines, path + ("params",),
                                               label + ".params", cls.Params))
            continue
        if cls.missing_packages():
            problems.append(Problem(
                _where(name, lines, path + ("op",), label),
                f"{op_name} needs the package(s) {', '.join(cls.missing_packages())}, which "
                f"are not installed", cls.install_hint()))
            continue
        step_id = str(raw.get("id") or _free_id(op_name, used_ids))
        if step_id in used_ids or ":" in step_id:
            problems.append(Problem(_where(name, lines, path + ("id",), label + ".id"),
                                    f"step id '{step_id}' is used twice or contains ':'",
                                    "give each step a unique id without ':'"))
        used_ids.add(step_id)
        try:
            resources = Resources(**{**operator.task_resources(),
                                     **(raw.get("resources") or {})})
        except (ValidationError, TypeError) as exc:
            if isinstance(exc, ValidationError):
                problems.extend(_pydantic_problems(exc, name, lines, path + ("resources",),
                                                   label + ".resources", Resources))
            else:
                problems.append(Problem(_where(name, lines, path + ("resources",), label),
                                        "resources must be a mapping (cpus, gpus, memory)"))
            continue
        steps.append(Step(op=op_name, id=step_id, operator=operator,
                          params=operator.params.model_dump(mode="json"), resources=resources))
        moved_text = operator.text_key_after() or moved_text
    return steps


def _free_id(op_name: str, used: set[str]) -> str:
    if op_name not in used:
        return op_name
    n = 2
    while f"{op_name}_{n}" in used:
        n += 1
    return f"{op_name}_{n}"


def _pydantic_problems(exc: ValidationError, name: str, lines: dict, path: tuple,
                       label: str, model: type[BaseModel]) -> list[Problem]:
    problems = []
    fields = model.model_fields
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = str(loc[0]) if loc else ""
        where = _where(name, lines, path + loc, ".".join([label, *map(str, loc)]))
        kind = error["type"]
        if kind == "extra_forbidden":
            message = f"unknown parameter '{key}'{registry.did_you_mean(key, fields)}"
            hint = "parameters: " + ", ".join(fields)
        elif kind == "missing":
            message = f"missing required '{key}'"
            hint = fields[key].description or "" if key in fields else ""
        else:
            message = error["msg"].removeprefix("Value error, ")
            if "input" in error and kind != "value_error":
                message += f" (got {error['input']!r})"
            field = fields.get(key)
            hint = ""
            if field is not None:
                hint = f"{(field.description or key).rstrip('.')}; default {field.default!r}"
        problems.append(Problem(where, message, hint))
    return problems


def _apply_override(data: dict, override: str, problems: list[Problem]) -> None:
    """`pipeline.2.params.min_len=30`: set a value (parsed as YAML) at a dotted path."""
    if "=" not in override:
        problems.append(Problem(f"--set {override}", "expected KEY=VALUE",
                                "e.g. --set pipeline.0.params.min_len=30"))
        return
    key, value = override.split("=", 1)
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                problems.append(Problem(f"--set {override}", f"'{'.'.join(parts[:depth])}' has "
                                        f"{len(node)} entries; '{part}' is not one of them",
                                        "list entries are numbered from 0"))
                return
            part = int(part)
        elif not isinstance(node, dict):
            problems.append(Problem(f"--set {override}",
                                    f"'{'.'.join(parts[:depth])}' is not a mapping"))
            return
        if last:
            try:
                node[part] = load_value(value, f"--set {override}")
            except ValueError as exc:
                problems.append(Problem(f"--set {key}", str(exc).split(": ", 1)[-1],
                                        "give a plain value, e.g. --set KEY=30"))
                return
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = {}
            node = node[part]


def _data_juicer_settings() -> set[str]:
    text = resources.files("juicer").joinpath("assets/data_juicer_settings.txt").read_text()
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


# Per-operator settings of Data-Juicer that steer its runtime, not the operator's result.
_DJ_RUNTIME_KWARGS = {
    "batch_size", "num_proc", "accelerator", "skip_op_error", "cpu_required", "mem_required",
    "gpu_required", "num_cpus", "num_gpus", "memory", "runtime_env", "ray_execution_mode",
    "stats_export_path", "work_dir", "turbo", "index_key", "auto_op_parallelism",
    "batch_mode", "adaptive_batching", "image_key", "audio_key", "video_key",
    "image_bytes_key", "system_key", "instruction_key", "prompt_key", "query_key",
    "response_key", "history_key",
}


# operators whose default tokenization differs from Data-Juicer's `space`
_DJ_SPACE_TOKENIZED = {"document_minhash_deduplicator", "document_simhash_deduplicator"}

# Data-Juicer parameters of one operator that have no meaning in Juicer, and why
_DJ_IGNORED = {
    "text_chunk_mapper": {"trust_remote_code": "Juicer's chunk lengths are characters, and it "
                          "never runs code from a model repository"},
    "document_minhash_deduplicator": {"tokenizer_model": "Data-Juicer reads it only with "
                                      "tokenization: sentencepiece, which Juicer does not "
                                      "offer"},
}


_EXPONENT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _yaml11_number(value: Any) -> Any:
    """'1e5' as the number Data-Juicer reads it (YAML 1.1 loads it as a string; Data-Juicer's
    typed arguments parse it)."""
    if isinstance(value, str) and _EXPONENT_NUMBER.match(value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _from_data_juicer(data: dict, lines: dict, notes: list[str]) -> tuple[dict, dict]:
    """Translate Data-Juicer's layout into Juicer's; keep line numbers pointing at the file."""
    known = _data_juicer_settings()
    native: dict[str, Any] = {"input": {}, "output": {}, "executor": {}, "pipeline": []}
    new_lines: dict[tuple, int] = {}

    def carry(native_path: tuple, dj_path: tuple) -> None:
        line = line_of(lines, dj_path)
        if line:
            new_lines[native_path] = line

    for key, value in data.items():
        if key == "dataset_path":
            native["input"]["paths"] = value
            carry(("input",), (key,))
        elif key == "text_keys":
            keys = value if isinstance(value, list) and value else [value]
            native["input"]["text_field"] = keys[0]
            if len(keys) > 1:
                notes.append(f"text_keys lists {keys}; Juicer processes the first, '{keys[0]}'")
        elif key == "export_path":
            stem, suffix = os.path.splitext(str(value))
            native["output"]["path"] = stem
            native["output"]["format"] = "parquet" if suffix == ".parquet" else "jsonl"
            carry(("output",), (key,))
        elif key == "np":
            cpus = os.cpu_count() or 1
            local = not str(data.get("executor_type", "default")).startswith("ray")
            if local and isinstance(value, int) and value > cpus:
                notes.append(f"np: {value} is more than this machine's {cpus} CPUs; Juicer "
                             f"runs {cpus} workers (more would only compete for them, and "
                             "the output is the same for any number)")
                value = cpus
            native["executor"]["workers"] = value
        elif key == "executor_type":
            native["executor"]["kind"] = "ray" if str(value).startswith("ray") else "local"
        elif key == "ray_address":
            if str(data.get("executor_type", "default")).startswith("ray"):
                native["executor"]["address"] = value
        elif key == "keep_stats_in_res_ds":
            native["output"]["keep_stats"] = bool(value)
        elif key == "process":
            if not isinstance(value, list):
                native["pipeline"] = value  # validation names the problem
                carry(("pipeline",), (key,))
                continue
            for index, entry in enumerate(value):
                carry(("pipeline", index), (key, index))
                if isinstance(entry, str):
                    entry = {entry: None}
                if not isinstance(entry, dict) or len(entry) != 1:
                    native["pipeline"].append(entry)
                    continue
                (op_name, params), = entry.items()
                if not isinstance(params, (dict, type(None))):
                    native["pipeline"].append({"op": op_name, "params": params})
                    continue
                params = {name: _yaml11_number(v) for name, v in (params or {}).items()}
                for kwarg in sorted(set(params) & _DJ_RUNTIME_KWARGS):
                    params.pop(kwarg)
                    notes.append(f"process[{index}] ({op_name}): '{kwarg}' steers Data-Juicer's "
                                 "runtime and is ignored")
                for kwarg in sorted(set(params) & set(_DJ_IGNORED.get(op_name, {}))):
                    params.pop(kwarg)
                    notes.append(f"process[{index}] ({op_name}): '{kwarg}' is ignored: "
                                 f"{_DJ_IGNORED[op_name][kwarg]}")
                for param in params:
                    carry(("pipeline", index, "params", param), (key, index, op_name, param))
                if op_name in _DJ_SPACE_TOKENIZED:  # Data-Juicer's default splits on " "
                    params.setdefault("tokenization", "space")
                native["pipeline"].append({"op": op_name, "params": params})
        elif key in known:
            notes.append(f"Data-Juicer setting '{key}' has no effect in Juicer and is ignored")
        else:
            native.setdefault("_unknown", []).append(key)
            carry(("_unknown",), (key,))
    for key in native.pop("_unknown", []):
        native[key] = data[key]
        carry((key,), (key,))
    if not native["executor"]:
        native.pop("executor")
    if not native["output"]:
        native.pop("output")
    return native, new_lines
