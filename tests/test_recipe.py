"""Recipe loading: every mistake reported at once with file:line, before any data is read."""
import os
import subprocess
import sys

import pytest

import juicer
from juicer.errors import RecipeError
from juicer.recipe import load_recipe, parse_size
from tests.conftest import DATA, REPO

BAD = DATA / "bad_recipe.yaml"


def problems_of(source, overrides=()) -> list[str]:
    with pytest.raises(RecipeError) as caught:
        juicer.load_recipe(source, overrides)
    return [str(p) for p in caught.value.problems]


def test_every_mistake_is_reported_at_once_with_its_line():
    problems = problems_of(BAD)
    expected = [
        (":8 pipline", "did you mean 'pipeline'"),
        (":4 input.shard_sise", "did you mean 'shard_size'"),
        (":7 output.format", "'parquet', 'jsonl' or 'arrow'"),
        (":10 pipeline[0] (text_lenght_filter)", "did you mean 'text_length_filter'"),
        (":13 pipeline[1] (words_num_filter).params.min_nm", "did you mean 'min_num'"),
        (":15 pipeline[2] (alphanumeric_filter).params", "min_ratio (0.9) is greater than max_ratio"),
        (":18 pipeline[3] (maximum_line_length_filter).params.max_len", "valid integer"),
        (":20 pipeline[4].parms", "did you mean 'params'"),
    ]
    assert len(problems) == len(expected)
    for (where, what), problem in zip(expected, problems):
        assert f"{BAD}{where}" in problem and what in problem, problem


def test_missing_sections_and_file():
    problems = problems_of({"pipeline": [{"op": "text_length_filter"}]})
    assert any("missing 'input'" in p for p in problems)
    assert any("missing 'output'" in p for p in problems)
    assert "no such recipe file" in problems_of("does/not/exist.yaml")[0]


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("input:\n  paths: [a.jsonl\noutput: x\n")
    problem = problems_of(path)[0]
    assert problem.startswith(f"{path}:3: not valid YAML")


def test_quickstart_resolves_every_default():
    recipe = juicer.load_recipe(REPO / "recipes" / "quickstart.yaml")
    resolved = recipe.resolved()
    assert resolved["input"]["text_field"] == "text"
    assert resolved["input"]["shard_size"] == 32 * 10**6
    assert resolved["output"]["format"] == "parquet"
    assert [s["id"] for s in resolved["pipeline"]][-1] == "document_deduplicator"
    length = resolved["pipeline"][2]
    assert length["params"] == {"text_key": None, "min_closed_interval": True,
                                "max_closed_interval": True, "reversed_range": False,
                                "min_len": 200, "max_len": 2**63 - 1}
    # relative paths resolve against the recipe file, not the working directory
    assert recipe.input.paths == [str(REPO / "recipes" / "sample" / "web_docs_sample.jsonl.gz")]


def test_overrides_set_values_and_are_validated():
    recipe = juicer.load_recipe(REPO / "recipes" / "quickstart.yaml",
                                ["pipeline.2.params.min_len=30", "output.format=jsonl",
                                 "executor.workers=3"])
    assert recipe.pipeline[2].params["min_len"] == 30
    assert recipe.output.format == "jsonl" and recipe.executor.workers == 3
    problems = problems_of(REPO / "recipes" / "quickstart.yaml",
                           ["pipeline.99.params.min_len=1", "novalue",
                            "pipeline.2.params.min_lem=3"])
    assert "'pipeline' has 9 entries" in problems[0]
    assert "expected KEY=VALUE" in problems[1]
    assert "did you mean 'min_len'" in problems[2]


def test_step_ids_default_to_the_operator_name_and_must_be_unique():
    recipe = juicer.load_recipe({"input": "a.jsonl", "output": "out", "pipeline": [
        "text_length_filter", {"op": "text_length_filter"}, {"op": "words_num_filter", "id": "w"}]})
    assert [s.id for s in recipe.pipeline] == ["text_length_filter", "text_length_filter_2", "w"]
    problems = problems_of({"input": "a.jsonl", "output": "out", "pipeline": [
        {"op": "text_length_filter", "id": "x"}, {"op": "words_num_filter", "id": "x"}]})
    assert "used twice" in problems[0]


def test_sizes_parse_with_units():
    assert parse_size("64MB") == 64 * 10**6
    assert parse_size("512KiB") == 512 * 1024
    assert parse_size(1000) == 1000
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_data_juicer_layout_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = juicer.load_recipe(REPO / "recipes" / "data_juicer_style.yaml")
    assert recipe.input.paths == [os.path.normpath(tmp_path / "recipes/sample/web_docs_sample.jsonl.gz")]
    assert recipe.output.path == os.path.normpath(tmp_path / "output/data_juicer_style/result")
    assert recipe.output.format == "jsonl"
    assert recipe.executor.workers == 2
    assert [s.op for s in recipe.pipeline][:2] == ["whitespace_normalization_mapper",
                                                   "text_length_filter"]
    assert recipe.pipeline[1].params["min_len"] == 200
    assert any("batch_size" in note for note in recipe.notes)


def test_data_juicer_layout_mistakes_point_at_the_file(tmp_path):
    path = tmp_path / "dj.yaml"
    path.write_text("project_name: demo\ndataset_path: a.jsonl\nexport_path: out.jsonl\n"
                    "process:\n  - text_length_filter:\n      min_lne: 3\n"
                    "  - language_id_score_filterr:\n")
    problems = problems_of(path)
    assert f"{path}:6" in problems[0] and "did you mean 'min_len'" in problems[0]
    assert f"{path}:7" in problems[1] and "unknown operator" in problems[1]


def test_cli_recipe_check_exits_2_and_lists_every_problem():
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "recipe", "check", str(BAD)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "8 problems found" in run.stderr
    assert run.stderr.count("\n  - ") == 8


def test_cli_process_refuses_a_bad_recipe_before_reading(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"input: [{REPO}/recipes/sample/web_docs_sample.jsonl.gz]\n"
                      f"output: {tmp_path}/out\npipeline:\n  - op: text_length_filter\n"
                      "    params: {min_len: -1}\n")
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "min_len" in run.stderr
    assert not (tmp_path / "out").exists()


def test_cli_recipe_fill_prints_the_resolved_recipe():
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "recipe", "fill",
                          str(REPO / "recipes" / "quickstart.yaml")], capture_output=True,
                         text=True, check=True)
    assert "shard_size: 32000000" in run.stdout and "reversed_range: false" in run.stdout



@juicer.register
class NeedsMissingPackage(juicer.Mapper):
    """Uses a package that is not installed."""

    name = "needs_missing_package_mapper"
    requires_packages = {"juicer_no_such_package": "html"}

    def map_text(self, text):
        return text


def test_operator_needing_an_uninstalled_package_names_the_extra(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("input: {paths: [x.jsonl]}\noutput: {path: out}\n"
                      "pipeline:\n  - op: needs_missing_package_mapper\n")
    with pytest.raises(RecipeError) as caught:
        juicer.load_recipe(recipe)
    message = str(caught.value)
    assert "r.yaml:4" in message and "juicer_no_such_package" in message
    assert "pip install 'juicer-llm[html]'" in message
    with pytest.raises(juicer.JuicerError, match=r"pip install 'juicer-llm\[html\]'"):
        NeedsMissingPackage()([{"text": "a"}])


@pytest.mark.parametrize("size", [float("inf"), float("nan"), "infMB"])
def test_non_finite_sizes_are_recipe_errors(size):
    """Found by the property tests: an infinite shard size crashed the loader."""
    with pytest.raises(RecipeError, match="input.shard_size: .* is not a size"):
        juicer.load_recipe({"input": {"paths": ["x.jsonl"], "shard_size": size},
                            "output": {"path": "o"}, "pipeline": []})


BOMB = "".join(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9 if prev else ['"lol"'] * 9) + "]\n"
               for prev, name in zip([None, *"abcdefgh"], "abcdefghi"))


@pytest.mark.parametrize("text, message", [
    (BOMB, "expands to more than 100,000 values"),
    ("a: &x [*x]\n", "refers to a value that holds it"),
    ("input: {paths: [x]}\n1: 2\n", ":2: keys must be strings"),
    ("a: " + "[" * 40_000 + "]" * 40_000 + "\n", "nested deeper than 100 levels"),
    ("a: " + "9" * 120_000 + "\n", "a number of 120,000 characters"),
    ("a: !!python/object/apply:os.system ['true']\n", "is not allowed: a recipe is plain data"),
])
def test_hostile_yaml_is_a_located_recipe_error(tmp_path, text, message):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=message):
        load_recipe(path)


def test_a_hostile_set_value_is_a_recipe_error(tmp_path):
    with pytest.raises(RecipeError, match="--set pipeline.0.params.x: nested deeper"):
        load_recipe(REPO / "recipes" / "quickstart.yaml", ["pipeline.0.params.x=" + "[" * 40_000])
    with pytest.raises(RecipeError, match="expands to more than"):
        load_recipe(REPO / "recipes" / "quickstart.yaml", ["pipeline.0.params.x=" + BOMB.replace("\n", ", ").join("{}")])


def test_data_juicer_operator_parameters_without_meaning_here_are_noted(tmp_path):
    recipe = tmp_path / "dj.yaml"
    recipe.write_text(
        f"dataset_path: {REPO}/recipes/sample/web_docs_sample.jsonl.gz\n"
        f"export_path: {tmp_path}/out/result.jsonl\n"
        "process:\n"
        "  - text_chunk_mapper: {max_len: 500, trust_remote_code: true}\n"
        "  - document_minhash_deduplicator: {tokenization: space, tokenizer_model: sp.model}\n")
    loaded = juicer.load_recipe(recipe)
    assert "trust_remote_code" not in loaded.pipeline[0].params
    assert "tokenizer_model" not in loaded.pipeline[1].params
    assert any("'trust_remote_code' is ignored" in note for note in loaded.notes)
    assert any("'tokenizer_model' is ignored" in note and "sentencepiece" in note
               for note in loaded.notes)


def test_a_data_juicer_np_above_the_cpu_count_is_capped_with_a_note(tmp_path):
    recipe = tmp_path / "dj.yaml"
    recipe.write_text("dataset_path: in.jsonl\nexport_path: out/result.jsonl\nnp: 500\n"
                      "process:\n  - text_length_filter: {min_len: 5}\n")
    loaded = juicer.load_recipe(recipe)
    assert loaded.executor.workers == (os.cpu_count() or 1)
    assert any("np: 500 is more than this machine's" in note for note in loaded.notes)
