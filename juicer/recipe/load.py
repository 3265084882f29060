"""Loading a recipe: YAML (Juicer's layout, or Data-Juicer's through juicer.recipe.data_juicer),
`--set` overrides, paths resolved beside the recipe, every step validated against its
operator's Params, and every mistake reported at once with its file and line."""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Optional, Union

from pydantic import BaseModel, ValidationError

from juicer.core import registry
from juicer.core.operator import Operator
from juicer.errors import JuicerError, Problem, RecipeError
from juicer.models.llm import LLMSettings, asks_llm
from juicer.recipe.data_juicer import from_data_juicer
from juicer.recipe.model import ExecutorSpec, InputSpec, OutputSpec, Recipe, Resources, Step
from juicer.recipe.yamlio import line_of, load_value, load_with_lines

_SECTIONS = {"input": InputSpec, "output": OutputSpec, "executor": ExecutorSpec}
_TOP_LEVEL = {"name", "description", "input", "output", "executor", "pipeline", "on_error",
              "llm"}
_STEP_KEYS = {"op", "id", "params", "resources"}
_NATIVE_KEYS = {"input", "output", "executor", "pipeline", "on_error", "name", "description",
                "llm"}


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
        data, lines = from_data_juicer(data, lines, notes)
        base = Path.cwd()  # Data-Juicer resolves relative paths from the working directory
    for override in overrides:
        _apply_override(data, override, problems)
    _resolve_step_paths(data, base)
    _share_llm_settings(data, lines, name, base, problems)
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


def _share_llm_settings(data: dict, lines: dict, name: str, base: Path,
                        problems: list[Problem]) -> None:
    """The recipe's `llm:` section (endpoint, model, limits) becomes the `llm` param of
    every step whose operator asks a language model, the step's own keys winning; its cache
    defaults to <output.path>/llm_cache (in memory for an output URL)."""
    section = data.get("llm")
    if section is not None:
        if not isinstance(section, dict):
            problems.append(Problem(_where(name, lines, ("llm",), "llm"), "llm must be a "
                                    "mapping", "give base_url and model, e.g. base_url: "
                                    "http://localhost:8000/v1"))
            return
        try:
            LLMSettings.model_validate(section)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, name, lines, ("llm",), "llm", LLMSettings))
            return
    pipeline, output = data.get("pipeline"), data.get("output")
    out_path = output.get("path") if isinstance(output, dict) else output
    for index, step in enumerate(pipeline if isinstance(pipeline, list) else []):
        if isinstance(step, str):  # a bare operator name, `- llm_quality_score_filter`
            step = {"op": step}
        if not isinstance(step, dict):
            continue
        params = {} if step.get("params") is None else step["params"]
        if not isinstance(params, dict) or not isinstance(params.get("llm", {}), dict):
            continue
        try:
            takes_llm = asks_llm(registry.get(str(step.get("op"))))
        except JuicerError:
            continue
        if not takes_llm or (section is None and "llm" not in params):
            continue
        pipeline[index] = step
        merged = {**(section or {}), **params.get("llm", {})}
        if "cache" not in merged:
            local = isinstance(out_path, str) and "://" not in out_path
            merged["cache"] = os.path.join(_resolve(out_path, base), "llm_cache") if local else None
        elif isinstance(merged["cache"], str):
            merged["cache"] = _resolve(merged["cache"], base)
        step["params"] = {**params, "llm": merged}


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
