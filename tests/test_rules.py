"""The rule vocabulary: a rule's comparison, threshold, parameter and NaN behaviour are one
definition, read alike by the filter, by `juicer analyze` and by `juicer calibrate`."""
from __future__ import annotations

import numpy as np
import pytest

import juicer
from juicer.core import registry
from juicer.core.operator import Filter
from juicer.core.rules import COMPARISONS, LOWER_BOUNDS, UPPER_BOUNDS, Rule, bound
from juicer.models.llm import asks_llm
from tests.conftest import REPO
from tests.test_registry import REQUIRED_PARAMS, installed_operators

NAN = float("nan")


def test_a_comparison_rule_decides_nan_as_it_declares():
    values = np.array([0.1, 0.5, NAN, 0.9])
    assert bound("r", "s", ">=", 0.5).passes(values).tolist() == [False, True, False, True]
    assert bound("r", "s", ">=", 0.5, nan="pass").passes(values).tolist() == [False, True, True, True]
    assert bound("r", "s", "<", 0.5).passes(values, 0.95).tolist() == [True, True, False, True]
    exempt = bound("r", "s", ">=", 0.5, exempt=lambda v: v == 0.1)
    assert exempt.passes(values).tolist() == [True, True, False, True]
    # != is the one comparison NaN satisfies in IEEE arithmetic; the rule still says fail
    assert Rule("r", "s", "!=", 1.0).passes(np.array([NAN, 1.0, 2.0])).tolist() == [False, False, True]


def test_a_rule_that_is_no_comparison_gives_its_test_and_is_not_calibrated():
    flag = Rule("flag", "s", "is", False, lambda v: ~v.astype(bool))
    assert flag.passes(np.array([True, False])).tolist() == [False, True]
    assert not flag.calibratable
    with pytest.raises(ValueError, match="no comparison"):
        Rule("r", "s", "in", ["en"])
    with pytest.raises(ValueError, match="nan must be"):
        bound("r", "s", ">=", 1, nan="keep")
    assert bound("min_len", "len", ">=", 3).calibratable
    assert not Rule("empty", "lines", ">", 0).calibratable  # no parameter sets it


def _filters() -> list[str]:
    return [name for name in installed_operators() if issubclass(registry.get(name), Filter)]


def _params(name: str) -> dict:
    """rules() reads no model and asks no endpoint."""
    if name == "perplexity_filter":
        return {"model_path": "unused.arpa"}
    if asks_llm(registry.get(name)):
        return {"llm": {"base_url": "http://127.0.0.1:9/v1", "model": "unused"}}
    return REQUIRED_PARAMS.get(name, {})


def _moved(value):
    """Another valid value of a threshold parameter."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + 1
    return value / 2 if value else 1e-4


@pytest.mark.parametrize("name", _filters())
def test_every_numeric_bound_of_a_filter_is_set_by_the_parameter_it_names(name):
    """So that calibrate can move every threshold: a rule whose threshold is a number it is
    compared with names the parameter (or the path into a list parameter) that sets it,
    and setting that parameter moves exactly that rule's threshold."""
    cls = registry.get(name)
    params = _params(name)
    operator = cls(**params)
    for rule in operator.rules():
        numeric = isinstance(rule.threshold, (int, float)) and not isinstance(rule.threshold, bool)
        if rule.op not in LOWER_BOUNDS + UPPER_BOUNDS or not numeric or rule.name == "empty":
            continue  # "empty": the document has text at all, no threshold to choose
        assert rule.calibratable, f"{name}:{rule.name} compares {rule.stat} {rule.op} " \
            f"{rule.threshold} but names no parameter"
        top, *path = rule.param.split(".")
        assert top in cls.Params.model_fields, f"{name}:{rule.name}: no parameter '{top}'"
        new = _moved(rule.threshold)
        value = operator.params.model_dump()[top]
        if path:
            value = [list(item) for item in value]
            value[int(path[0])][int(path[1])] = new
        else:
            value = new
        moved = {r.name: r for r in cls(**{**params, top: value}).rules()}
        assert moved[rule.name].threshold == new, f"{name}:{rule.name} is not set by {rule.param}"


def test_the_comparisons_are_the_ones_the_report_draws():
    assert set(LOWER_BOUNDS + UPPER_BOUNDS) <= set(COMPARISONS)


CALIBRATED = [REPO / "recipes" / "quickstart.yaml", REPO / "recipes" / "data_juicer_style.yaml",
              *sorted((REPO / "recipes" / "pretrain").glob("*.yaml"))]


@pytest.mark.parametrize("path", CALIBRATED, ids=lambda p: p.stem)
def test_calibrate_predicts_what_each_filter_of_the_calibrated_recipe_keeps(path, tmp_path):
    """On real data: the keep calibrate predicts for each filter (from the analysis stats
    and the rules) is what that filter keeps when the calibrated recipe runs."""
    proposal = juicer.calibrate(path, 0.7, recipe_out=str(tmp_path / "calibrated.yaml"),
                                output=str(tmp_path / "analysis"), sample=1200)
    assert proposal["thresholds"], "a shipped recipe has thresholds to calibrate"
    predicted = {row["step"]: row["step_kept"] for row in proposal["thresholds"]}
    again = juicer.analyze(tmp_path / "calibrated.yaml", output=str(tmp_path / "again"),
                           sample=1200).report
    assert again["input_docs"] == proposal["documents"]
    for step in again["steps"]:
        if step["id"] in predicted:
            kept = step["docs_in"] - sum(step["drops_by_rule"].values())
            assert kept == predicted[step["id"]], step["id"]
