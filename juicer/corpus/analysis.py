"""`juicer analyze` and `juicer calibrate`: look at a corpus through a recipe's filters
before dropping anything, and choose thresholds from what is seen.

analyze runs the recipe with every filter observing (stats on every document, would-be drops
counted, nothing dropped) and writes data/ with `__stats__`, report.json and report.html.
calibrate then picks thresholds so that the filters together keep a target share of the
documents, writes them as a recipe, and adds the proposal to the analysis report."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import pyarrow as pa
import yaml
from pydantic_core import PydanticUndefined

from juicer.core import registry

from juicer.report import html as report_html

from juicer.models import token_counters
from juicer.core.batch import STATS
from juicer.core.fields import column_of, text_values
from juicer.errors import JuicerError
from juicer.io.writers import write_json
from juicer.core.metrics import is_bound
from juicer.core.operator import Filter
from juicer.recipe import Recipe
from juicer.core.rules import Rule


def analysis_path(recipe: Recipe) -> str:
    return recipe.output.path.rstrip("/\\") + "_analysis"


def analyze(recipe: Recipe, *, output: Optional[str] = None, inputs: Sequence[str] = (),
            sample: Optional[int] = None, workers: Optional[int] = None,
            overwrite: bool = False, progress=None):
    """Run `recipe` in analyze mode into `output` (default: output.path + "_analysis");
    returns the RunResult. `inputs` replace the recipe's input paths; `sample` reads about
    that many documents."""
    from juicer.engine.driver import process

    input_spec = recipe.input.model_copy(update={"paths": list(inputs)}) if inputs else recipe.input
    output_spec = recipe.output.model_copy(update={"path": output or analysis_path(recipe),
                                                   "keep_stats": True})
    observed = recipe.model_copy(update={"input": input_spec, "output": output_spec})
    return process(observed, workers=workers, overwrite=overwrite, progress=progress,
                   observe=True, sample=sample)


def calibrate(recipe: Recipe, keep: Optional[float] = None, *, chars: Optional[int] = None,
              tokens: Optional[int] = None, tokenizer: Optional[str] = None,
              analysis: Optional[str] = None, recipe_out: Optional[str] = None,
              **analyze_options) -> dict:
    """Propose thresholds for the recipe's filters that keep about `keep` of the documents,
    or `chars` characters, or `tokens` tokens of `tokenizer` (default: the recipe's
    output.count_tokens, else cl100k_base).

    Uses the analysis in `analysis` when given (a directory `juicer analyze` wrote), else
    runs one. Writes the calibrated recipe to `recipe_out` (default: beside the analysis)
    and the proposal into the analysis report; returns the proposal."""
    if sum(target is not None for target in (keep, chars, tokens)) != 1:
        raise JuicerError("give one target: --keep SHARE of the documents, --chars N "
                          "characters or --tokens N tokens to keep")
    if keep is not None and not 0 < keep <= 1:
        raise JuicerError(f"--keep must be a share in (0, 1], not {keep}")
    counter = None
    if tokens is not None:  # load it first: a missing tokenizer fails before the analysis
        counter = token_counters.load(tokenizer or recipe.output.count_tokens
                                      or token_counters.DEFAULT_TOKENIZER)
    if analysis is None:
        analysis = analyze(recipe, overwrite=True, **analyze_options).output
    report = _read_report(analysis)
    stats = _read_stats(analysis)
    rules = _calibratable(recipe, stats)
    if not rules:
        raise JuicerError("no filter of this recipe has a numeric min/max threshold to "
                          "calibrate", hint="calibrate works on filters such as "
                          "text_length_filter (min_len/max_len)")
    fixed = _fixed_mask(recipe, stats, {(knob.step, knob.param) for knob in rules})
    sizes = {"characters": _text_lengths(analysis, recipe.input.text_field)}
    if counter is not None:  # only a token budget needs the texts as Python strings
        sizes["tokens"] = counter.count(_texts(analysis, recipe.input.text_field)).astype(np.float64)
    budget = {"characters": chars, "tokens": tokens}
    unit = next((name for name, value in budget.items() if value is not None), None)
    if unit:
        total = float(sizes[unit].sum())
        if budget[unit] > total:
            raise JuicerError(f"the analysed documents hold {int(total):,} {unit}, fewer "
                              f"than --{'chars' if unit == 'characters' else unit} {budget[unit]:,}")
        weights, target = sizes[unit], budget[unit] / total
    else:
        weights, target = np.ones(len(sizes["characters"])), keep
    share = _solve(rules, fixed, target, weights)
    proposal = _proposal(recipe, rules, stats, share, target, sizes)
    if chars is not None:
        proposal["budget_chars"] = chars
    if counter is not None:
        proposal["budget_tokens"] = tokens
        proposal["tokenizer"] = counter.name
    recipe_out = recipe_out or os.path.join(analysis, "recipe.calibrated.yaml")
    _write_recipe(recipe, proposal, recipe_out)
    proposal["recipe_path"] = recipe_out
    report["calibration"] = proposal
    write_json(report, os.path.join(analysis, "report.json"))
    report_html.write(report, os.path.join(analysis, "report.html"))
    return proposal


def _read_report(directory: str) -> dict:
    from juicer.io.writers import read_json

    path = os.path.join(directory, "report.json")
    if not os.path.exists(path):
        raise JuicerError(f"'{directory}' holds no finished analysis (no report.json)",
                          hint="run `juicer analyze RECIPE` first, or leave out --analysis")
    report = read_json(path)
    if report.get("mode") != "analyze":
        raise JuicerError(f"'{directory}' holds a processed run, not an analysis: its filters "
                          "saw only the documents earlier steps kept", hint="run "
                          "`juicer analyze RECIPE`")
    return report


def _text_lengths(directory: str, text_field: str) -> np.ndarray:
    """Characters of each analysed document, in the order of `_read_stats` (Arrow counts
    them; no Python strings)."""
    import pyarrow.compute as pc

    lengths = [pc.utf8_length(text_values(table, text_field)).fill_null(0).to_numpy(
        zero_copy_only=False) for table in _data_tables(directory, [text_field])]
    return np.concatenate(lengths).astype(np.float64) if lengths else np.zeros(0)


def _texts(directory: str, text_field: str) -> list[str]:
    """The text of each analysed document, in the order of `_read_stats`."""
    return [text or "" for table in _data_tables(directory, [text_field])
            for text in text_values(table, text_field).to_pylist()]


def _data_tables(directory: str, columns: list[str]):
    """The data/ files' columns (a field path reads the column that holds it)."""
    from juicer.report.groups import output_files, read_columns

    yield from read_columns(output_files(os.path.join(directory, "data")),
                            [column_of(name, ()) for name in columns])


def _read_stats(directory: str) -> pa.StructArray:
    tables = list(_data_tables(directory, [STATS]))
    if not tables:
        raise JuicerError(f"the analysis in '{directory}' kept no documents")
    return pa.concat_tables(tables, promote_options="permissive").column(STATS).combine_chunks()


def _stat(stats: pa.StructArray, step_id: str, name: str) -> Optional[np.ndarray]:
    names = [stats.type.field(i).name for i in range(stats.type.num_fields)]
    if step_id not in names:
        return None
    step = stats.field(step_id)
    fields = [step.type.field(i).name for i in range(step.type.num_fields)]
    if name not in fields:
        return None
    values = step.field(name)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return values.to_numpy(zero_copy_only=False)  # a language, a flag: as the filter reads it
    return values.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)


@dataclass
class Knob:
    """One parameter of one step that calibration moves, with the rules it sets (Gopher's
    `max_symbol_word_ratio` sets two) and their stats on the analysed documents."""

    step: str
    param: str  # a parameter name, or a path into a list parameter: top_n_grams.0.1
    default: Any  # the parameter's default value
    rules: list[Rule] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)

    @property
    def lower(self) -> bool:
        return self.rules[0].lower_bound

    @property
    def was(self):
        return self.rules[0].threshold

    def passes(self, threshold=None) -> np.ndarray:
        """Who passes every rule of the knob at `threshold` (None: the recipe's)."""
        keep = np.ones(len(self.values[0]), dtype=bool)
        for rule, values in zip(self.rules, self.values):
            keep &= rule.passes(values, threshold)
        return keep

    def deciding_values(self) -> np.ndarray:
        """Per document, the value the threshold is compared with: the strictest over the
        rules, without the documents that pass or fail whatever the threshold (a missing
        stat, an exempt value), which calibration cannot move."""
        # a lower bound passes min(values) >= t, an upper one max(values) <= t; a rule a
        # document's value cannot fail takes no part (the neutral element)
        neutral = np.inf if self.lower else -np.inf
        combined = np.full(len(self.values[0]), neutral)
        moved = np.zeros(len(combined), dtype=bool)
        for rule, values in zip(self.rules, self.values):
            fixed = np.isnan(values)
            if rule.exempt is not None:
                fixed |= np.asarray(rule.exempt(values), dtype=bool)
            usable = np.where(fixed, neutral, values)
            combined = np.minimum(combined, usable) if self.lower else np.maximum(combined, usable)
            moved |= ~fixed
        return combined[moved]


def _default(operator: Filter, param: str):
    """The default of a parameter or of an element of a list parameter (None: required)."""
    name, *path = param.split(".")
    value = type(operator.params).model_fields[name].get_default(call_default_factory=True)
    for index in path:
        value = None if value in (None, PydanticUndefined) else value[int(index)]
    return None if value is PydanticUndefined else value


def _calibratable(recipe: Recipe, stats: pa.StructArray) -> list[Knob]:
    """The knobs: rules whose bound a parameter sets, grouped by (step, parameter), where
    the analysis has the stats and the recipe's author chose the value."""
    knobs: dict[tuple[str, str], Knob] = {}
    for step in recipe.pipeline:
        operator = step.operator
        if not isinstance(operator, Filter):
            continue
        for rule in operator.rules():
            values = _stat(stats, step.id, rule.stat)
            if not (rule.calibratable and is_bound(rule.threshold)) or values is None \
                    or values.dtype.kind != "f" or np.isnan(values).all():
                continue
            knob = knobs.setdefault((step.id, rule.param),
                                    Knob(step.id, rule.param, _default(operator, rule.param)))
            knob.rules.append(rule)
            knob.values.append(values)
    return [knob for knob in knobs.values()
            if len({rule.lower_bound for rule in knob.rules}) == 1 and not _open_default(knob)]


def _open_default(knob: Knob) -> bool:
    """A knob left at its default that rejects no document with a value here (min_ratio
    0.0) was not chosen by the recipe's author: calibration leaves it open."""
    return knob.was == knob.default and all(
        rule.passes(values[~np.isnan(values)]).all()
        for rule, values in zip(knob.rules, knob.values))


def _fixed_mask(recipe: Recipe, stats: pa.StructArray, calibrated: set) -> np.ndarray:
    """Documents that pass the filter rules calibration leaves alone."""
    keep = np.ones(len(stats), dtype=bool)
    for step in recipe.pipeline:
        if not isinstance(step.operator, Filter):
            continue
        for rule in step.operator.rules():
            values = _stat(stats, step.id, rule.stat)
            if (step.id, rule.param) not in calibrated and values is not None:
                keep &= rule.passes(values)
    return keep


def _thresholds(knobs: list[Knob], share: float) -> list[float]:
    """Each step keeps `share`, its knobs trimming equal tails."""
    per_step: dict[str, int] = {}
    for knob in knobs:
        per_step[knob.step] = per_step.get(knob.step, 0) + 1
    chosen = []
    for knob in knobs:
        tail = (1 - share) / per_step[knob.step]
        values = knob.deciding_values()
        if not len(values):
            chosen.append(knob.was)
            continue
        value = float(np.quantile(values, tail if knob.lower else 1 - tail, method="inverted_cdf"))
        if isinstance(knob.was, int):
            value = math.floor(value) if knob.lower else math.ceil(value)
        else:  # 4 significant digits, rounded so the bound keeps what it covered
            digits = 3 - math.floor(math.log10(abs(value))) if value else 0
            scale = 10.0 ** digits
            value = (math.floor(value * scale) if knob.lower else math.ceil(value * scale)) / scale
        chosen.append(value)
    return chosen


def _kept(knobs: list[Knob], share: float, fixed: np.ndarray, weights: np.ndarray) -> float:
    """The share of the weight (documents, or characters) the thresholds for `share` keep."""
    keep = fixed.copy()
    for knob, threshold in zip(knobs, _thresholds(knobs, share)):
        keep &= knob.passes(threshold)
    return float(weights[keep].sum() / weights.sum()) if weights.sum() else 0.0


def _solve(knobs: list[Knob], fixed: np.ndarray, target: float, weights: np.ndarray) -> float:
    """The per-step share whose combined keep is closest to `target` (bisection: keeping
    more per step keeps more overall)."""
    low, high = 0.0, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        if _kept(knobs, middle, fixed, weights) < target:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda s: abs(_kept(knobs, s, fixed, weights) - target))


def _proposal(recipe: Recipe, knobs: list[Knob], stats: pa.StructArray, share: float,
              target: float, sizes: dict[str, np.ndarray]) -> dict:
    thresholds = _thresholds(knobs, share)
    # the achieved share is measured with the operators rebuilt from the proposed params
    params = _proposed_params(recipe, knobs, thresholds)
    keep = np.ones(len(stats), dtype=bool)
    step_kept = {}
    for step in recipe.pipeline:
        if not isinstance(step.operator, Filter):
            continue
        operator = registry.get(step.op)(params.get(step.id, step.params))
        mine = np.ones(len(stats), dtype=bool)
        for rule in operator.rules():
            values = _stat(stats, step.id, rule.stat)
            if values is not None:
                mine &= rule.passes(values)
        step_kept[step.id] = int(mine.sum())
        keep &= mine
    sized = {}
    for unit, size in sizes.items():
        sized[unit], sized[f"kept_{unit}"] = int(size.sum()), int(size[keep].sum())
    return {"target": target, "achieved": float(keep.mean()), "documents": int(len(stats)),
            "kept_documents": int(keep.sum()), **sized,
            "thresholds": [{"step": k.step, "param": k.param, "rules": [r.name for r in k.rules],
                            "stat": k.rules[0].stat, "op": k.rules[0].op, "was": k.was,
                            "proposed": t, "step_kept": step_kept[k.step]}
                           for k, t in zip(knobs, thresholds)]}


def _proposed_params(recipe: Recipe, knobs: list[Knob], thresholds: list[float]) -> dict:
    """{step id: params} with the proposed thresholds."""
    changed = _changed_params(recipe, [(k.step, k.param, t) for k, t in zip(knobs, thresholds)])
    return {step.id: {**step.params, **changed[step.id]}
            for step in recipe.pipeline if step.id in changed}


def _changed_params(recipe: Recipe, changes) -> dict[str, dict]:
    """{step id: {parameter: new value}} for (step id, parameter path, value) changes; a
    path into a list parameter (top_n_grams.0.1) replaces that element in a copy of the
    list."""
    changed: dict[str, dict] = {}
    for step_id, param, value in changes:
        step = next(s for s in recipe.pipeline if s.id == step_id)
        mine = changed.setdefault(step_id, {})
        name, *path = param.split(".")
        if path:
            current = mine.get(name, step.operator.params.model_dump()[name])
            value = _replaced(current, [int(i) for i in path], value)
        mine[name] = value
    return changed


def _replaced(value, path: list[int], new):
    items = [list(item) if isinstance(item, (list, tuple)) else item for item in value]
    if len(path) == 1:
        items[path[0]] = new
    else:
        items[path[0]] = _replaced(items[path[0]], path[1:], new)
    return items


def calibrated_output(path: str) -> str:
    return path.rstrip("/") + "_calibrated"


def _write_recipe(recipe: Recipe, proposal: dict, path: str) -> None:
    """The proposal as a recipe: the original file with the thresholds changed (comments,
    layout and relative paths kept), or, when that file cannot be edited, the resolved
    recipe in Juicer's layout. Its output is its own: running it must not replace the
    baseline run."""
    from juicer.recipe import edit as recipe_edit

    changed = _changed_params(recipe, [(row["step"], row["param"], row["proposed"])
                                       for row in proposal["thresholds"]])
    output = calibrated_output(recipe.output.path)
    if "budget_tokens" in proposal:
        target = f"--tokens {proposal['budget_tokens']} --tokenizer {proposal['tokenizer']}"
    elif "budget_chars" in proposal:
        target = f"--chars {proposal['budget_chars']}"
    else:
        target = f"--keep {proposal['target']}"
    header = (f"# Calibrated by `juicer calibrate {target}` from {recipe.source}:\n"
              f"# on the analysed data these filter thresholds keep "
              f"{100 * proposal['achieved']:.1f}% ({proposal['kept_documents']:,} of "
              f"{proposal['documents']:,} documents) before deduplication.\n")
    why_not = recipe_edit.can_edit(recipe)
    if why_not is None:
        body = recipe_edit.edited_text(recipe, changed, output, path)
    else:
        header += f"# Written in Juicer's layout with every default filled ({why_not}).\n"
        resolved = recipe.resolved()
        resolved.pop("juicer_version")
        for entry in resolved["pipeline"]:
            entry["params"].update(changed.get(entry["id"], {}))
        resolved["output"]["path"] = output
        body = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + body)
