"""`juicer analyze` and `juicer calibrate`: look at a corpus through a recipe's filters
before dropping anything, and choose thresholds from what is seen.

analyze runs the recipe with every filter observing (stats on every document, would-be drops
counted, nothing dropped) and writes data/ with `__stats__`, report.json and report.html.
calibrate then picks thresholds so that the filters together keep a target share of the
documents, writes them as a recipe, and adds the proposal to the analysis report."""
from __future__ import annotations

import math
import os
from typing import Optional, Sequence

import numpy as np
import pyarrow as pa
import yaml

from juicer import llm_tokenizers, registry, report_html
from juicer.batch import STATS
from juicer.fields import column_of, text_values
from juicer.errors import JuicerError
from juicer.io.writers import write_json
from juicer.metrics import is_bound
from juicer.operator import Filter
from juicer.recipe import Recipe

BOUNDS = (">=", ">", "<=", "<")


def analysis_path(recipe: Recipe) -> str:
    return recipe.output.path.rstrip("/\\") + "_analysis"


def analyze(recipe: Recipe, *, output: Optional[str] = None, inputs: Sequence[str] = (),
            sample: Optional[int] = None, workers: Optional[int] = None,
            overwrite: bool = False, progress=None):
    """Run `recipe` in analyze mode into `output` (default: output.path + "_analysis");
    returns the RunResult. `inputs` replace the recipe's input paths; `sample` reads about
    that many documents."""
    from juicer.runner import process

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
        counter = llm_tokenizers.load(tokenizer or recipe.output.count_tokens
                                      or llm_tokenizers.DEFAULT_TOKENIZER)
    if analysis is None:
        analysis = analyze(recipe, overwrite=True, **analyze_options).output
    report = _read_report(analysis)
    stats = _read_stats(analysis)
    rules = _calibratable(recipe, stats)
    if not rules:
        raise JuicerError("no filter of this recipe has a numeric min/max threshold to "
                          "calibrate", hint="calibrate works on filters such as "
                          "text_length_filter (min_len/max_len)")
    fixed = _fixed_mask(recipe, stats, {(r["step"], r["rule"]) for r in rules})
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
    from juicer.report_groups import output_files, read_columns

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
        return None
    return values.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)


def _calibratable(recipe: Recipe, stats: pa.StructArray) -> list[dict]:
    """Rules with one numeric bound set by a param of the same name."""
    rules = []
    for step in recipe.pipeline:
        operator = step.operator
        if not isinstance(operator, Filter):
            continue
        for rule in operator.rules():
            values = _stat(stats, step.id, rule.stat)
            fields = type(operator.params).model_fields
            if (rule.op in BOUNDS and rule.name in fields
                    and is_bound(rule.threshold)
                    and values is not None and not np.isnan(values).all()
                    and not _open_default(rule, fields[rule.name].default, values)):
                rules.append({"step": step.id, "rule": rule.name, "stat": rule.stat, "op": rule.op,
                              "was": rule.threshold, "integer": isinstance(rule.threshold, int),
                              "values": values})
    return rules


def _open_default(rule, default, values: np.ndarray) -> bool:
    """A rule left at its default that rejects nothing here (min_ratio 0.0) was not chosen
    by the recipe's author: calibration leaves it open."""
    return rule.threshold == default and bool(np.asarray(rule.passes(values[~np.isnan(values)]),
                                                         dtype=bool).all())


def _fixed_mask(recipe: Recipe, stats: pa.StructArray, calibrated: set) -> np.ndarray:
    """Documents that pass the filter rules calibration leaves alone."""
    keep = np.ones(len(stats), dtype=bool)
    for step in recipe.pipeline:
        if not isinstance(step.operator, Filter):
            continue
        for rule in step.operator.rules():
            values = _stat(stats, step.id, rule.stat)
            if (step.id, rule.name) not in calibrated and values is not None:
                keep &= np.asarray(rule.passes(values), dtype=bool)
    return keep


def _thresholds(rules: list[dict], share: float) -> list[float]:
    """Each step keeps `share`, its rules trimming equal tails."""
    per_step: dict[str, int] = {}
    for rule in rules:
        per_step[rule["step"]] = per_step.get(rule["step"], 0) + 1
    chosen = []
    for rule in rules:
        tail = (1 - share) / per_step[rule["step"]]
        values = rule["values"][~np.isnan(rule["values"])]
        low_side = rule["op"] in (">=", ">")
        value = float(np.quantile(values, tail if low_side else 1 - tail, method="inverted_cdf"))
        if rule["integer"]:
            value = math.floor(value) if low_side else math.ceil(value)
        else:  # 4 significant digits, rounded so the bound keeps what it covered
            digits = 3 - math.floor(math.log10(abs(value))) if value else 0
            scale = 10.0 ** digits
            value = (math.floor(value * scale) if low_side else math.ceil(value * scale)) / scale
        chosen.append(value)
    return chosen


def _passes(rule: dict, threshold: float) -> np.ndarray:
    values = rule["values"]
    with np.errstate(invalid="ignore"):
        return {">=": values >= threshold, ">": values > threshold,
                "<=": values <= threshold, "<": values < threshold}[rule["op"]]


def _kept(rules: list[dict], share: float, fixed: np.ndarray, weights: np.ndarray) -> float:
    """The share of the weight (documents, or characters) the thresholds for `share` keep."""
    keep = fixed.copy()
    for rule, threshold in zip(rules, _thresholds(rules, share)):
        keep &= _passes(rule, threshold)
    return float(weights[keep].sum() / weights.sum()) if weights.sum() else 0.0


def _solve(rules: list[dict], fixed: np.ndarray, target: float, weights: np.ndarray) -> float:
    """The per-step share whose combined keep is closest to `target` (bisection: keeping
    more per step keeps more overall)."""
    low, high = 0.0, 1.0
    for _ in range(40):
        middle = (low + high) / 2
        if _kept(rules, middle, fixed, weights) < target:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda s: abs(_kept(rules, s, fixed, weights) - target))


def _proposal(recipe: Recipe, rules: list[dict], stats: pa.StructArray, share: float,
              target: float, sizes: dict[str, np.ndarray]) -> dict:
    thresholds = _thresholds(rules, share)
    # the achieved share is measured with the operators rebuilt from the proposed params
    params = _proposed_params(recipe, rules, thresholds)
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
                mine &= np.asarray(rule.passes(values), dtype=bool)
        step_kept[step.id] = int(mine.sum())
        keep &= mine
    sized = {}
    for unit, size in sizes.items():
        sized[unit], sized[f"kept_{unit}"] = int(size.sum()), int(size[keep].sum())
    return {"target": target, "achieved": float(keep.mean()), "documents": int(len(stats)),
            "kept_documents": int(keep.sum()), **sized,
            "thresholds": [{"step": r["step"], "param": r["rule"], "stat": r["stat"], "op": r["op"],
                            "was": r["was"], "proposed": t, "step_kept": step_kept[r["step"]]}
                           for r, t in zip(rules, thresholds)]}


def _proposed_params(recipe: Recipe, rules: list[dict], thresholds: list[float]) -> dict:
    params = {}
    for rule, value in zip(rules, thresholds):
        step = next(s for s in recipe.pipeline if s.id == rule["step"])
        params.setdefault(step.id, dict(step.params))[rule["rule"]] = value
    return params


def calibrated_output(path: str) -> str:
    return path.rstrip("/") + "_calibrated"


def _write_recipe(recipe: Recipe, proposal: dict, path: str) -> None:
    """The proposal as a recipe: the original file with the thresholds changed (comments,
    layout and relative paths kept), or, when that file cannot be edited, the resolved
    recipe in Juicer's layout. Its output is its own: running it must not replace the
    baseline run."""
    from juicer import recipe_edit

    changed: dict[str, dict] = {}
    for row in proposal["thresholds"]:
        changed.setdefault(row["step"], {})[row["param"]] = row["proposed"]
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
