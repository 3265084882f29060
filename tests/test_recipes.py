"""Every shipped recipe validates, runs on the sample it was tuned on, and keeps the share of
documents its header states."""
import json
import re

import pytest

import juicer
from tests.conftest import REPO

RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(REPO / "recipes")))
def test_recipe_validates(path):
    recipe = juicer.load_recipe(path)
    assert recipe.pipeline


PRETRAIN = sorted((REPO / "recipes" / "pretrain").glob("*.yaml")) + \
    sorted((REPO / "recipes" / "instruct").glob("*.yaml"))


@pytest.mark.parametrize("path", PRETRAIN, ids=lambda p: p.stem)
def test_recipe_keeps_what_its_header_says(path, shipped_run):
    header = re.search(r"Keep rate on recipes/sample .*: [\d.]+% \(([\d,]+) of ([\d,]+) documents\)",
                       path.read_text("utf-8"))
    assert header, "the header states the measured keep rate"
    kept, total = (int(group.replace(",", "")) for group in header.groups())
    report = json.loads((shipped_run(path) / "report.json").read_text())
    assert report["accounting_ok"] and report["input_docs"] == total
    assert report["kept_docs"] == kept
