"""Data-Juicer's own refinement recipes (tests/data/data_juicer_recipes, unchanged files) run
on Juicer: the user only points dataset_path and export_path at their data, as with
Data-Juicer. The perplexity model they name only by language is found in JUICER_MODEL_DIR
(a model trained here from the sample stands in for CCNet's en.arpa.bin)."""
import json
import shutil
import subprocess
import sys

import pytest

import juicer
from tests.conftest import DATA, REPO, SAMPLE

RECIPES = DATA / "data_juicer_recipes"
GPTEACHER = REPO / "recipes" / "sample" / "gpteacher_sample.jsonl.gz"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, news_lm):
    folder = tmp_path_factory.mktemp("models")
    shutil.copy(news_lm, folder / "en.arpa")  # CCNet's layout: LANG.arpa(.bin) + LANG.sp.model
    shutil.copy(news_lm.with_suffix(".sp.model"), folder / "en.sp.model")
    return folder


@pytest.mark.parametrize("name, data, overrides", [
    ("redpajama-c4-refine.yaml", SAMPLE, []),
    ("pile-europarl-refine.yaml", SAMPLE, []),
    ("alpaca-cot-en-refine.yaml", GPTEACHER, ["text_keys=response"]),
])
def test_data_juicer_recipe_runs_unchanged(tmp_path, monkeypatch, model_dir, name, data,
                                           overrides):
    monkeypatch.setenv("JUICER_MODEL_DIR", str(model_dir))
    out = tmp_path / "result"
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(RECIPES / name),
                          "--set", f"dataset_path={data}", "--set",
                          f"export_path={out}.jsonl", "--workers", "2",
                          *[arg for o in overrides for arg in ("--set", o)]],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text())
    recipe = juicer.load_recipe(RECIPES / name, [f"dataset_path={data}",
                                                 f"export_path={out}.jsonl", *overrides])
    assert [step["op"] for step in report["steps"]] == [step.op for step in recipe.pipeline]
    assert report["accounting_ok"] and report["input_docs"] == (2500 if data == SAMPLE else 1000)
    assert 0 < report["kept_docs"] < report["input_docs"]
    assert sorted(p.suffix for p in (out / "data").iterdir()) == [".jsonl"]  # export_path's
    if "perplexity_filter" in [step.op for step in recipe.pipeline]:
        step = next(s for s in report["steps"] if s["op"] == "perplexity_filter")
        scored = step["stats"]["perplexity"]  # the model scored every document it saw
        assert scored["count"] == step["docs_in"] and scored["max"] > scored["min"] > 0


def test_a_missing_language_model_is_named_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("JUICER_MODEL_DIR", str(tmp_path / "empty"))
    with pytest.raises(juicer.RecipeError, match="juicer train-lm"):
        juicer.load_recipe(RECIPES / "redpajama-c4-refine.yaml", [f"dataset_path={SAMPLE}"])
