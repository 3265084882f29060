"""The Python API on each supported input type gives the same documents back, in that type."""
import datasets
import polars as pl
import pyarrow as pa
import pytest

import juicer
from juicer.errors import JuicerError, RecipeError
from tests.conftest import REPO, write_recipe

STEPS = [
    juicer.operator("whitespace_normalization_mapper"),
    juicer.operator("text_length_filter", min_len=300),
    juicer.operator("words_num_filter", min_num=40),
    juicer.operator("document_deduplicator"),
]


@pytest.fixture(scope="module")
def rows(sample_rows):
    return sample_rows[:600]


@pytest.fixture(scope="module")
def expected(rows):
    return juicer.apply(rows, STEPS)


def test_list_of_dicts(rows, expected):
    assert isinstance(expected, list) and 0 < len(expected) < len(rows)
    assert set(expected[0]) == set(rows[0])
    assert all(len(r["text"]) >= 300 for r in expected)


def test_arrow_table(rows, expected):
    kept = juicer.apply(pa.Table.from_pylist(rows), STEPS)
    assert isinstance(kept, pa.Table) and kept.to_pylist() == expected


def test_polars_dataframe(rows, expected):
    kept = juicer.apply(pl.DataFrame(rows), STEPS)
    assert isinstance(kept, pl.DataFrame) and kept.to_dicts() == expected


def test_hugging_face_dataset(rows, expected):
    dataset = datasets.Dataset.from_list(rows)
    kept = juicer.apply(dataset, STEPS)
    assert isinstance(kept, datasets.Dataset) and kept.to_list() == expected
    # a dataset view (select) is applied as the rows it shows
    view = dataset.select(range(100, 200))
    assert juicer.apply(view, STEPS).to_list() == juicer.apply(rows[100:200], STEPS)


def test_detailed_result_accounts_for_every_row(rows):
    data = rows[:50] + [{"id": "x", "text": None}]
    result = juicer.apply(pl.DataFrame(data), STEPS, detailed=True)
    assert sum(result.counts.values()) == 51
    assert result.quarantined.to_dicts()[0]["error"] == "field 'text' is null"
    assert result.dropped["__drop_reason__"].str.contains(":").all()
    assert [s["id"] for s in result.steps] == [
        "whitespace_normalization_mapper", "text_length_filter", "words_num_filter",
        "document_deduplicator"]


def test_keep_stats_adds_the_stats_column(rows):
    kept = juicer.apply(pa.Table.from_pylist(rows[:20]), STEPS[1:3], keep_stats=True)
    stats = kept.column("__stats__").to_pylist()
    assert all(s["text_length_filter"]["text_len"] >= 300 for s in stats)


def test_a_recipe_file_is_applied_in_memory(rows):
    kept = juicer.apply(rows[:200], REPO / "recipes" / "quickstart.yaml")
    recipe = juicer.load_recipe(REPO / "recipes" / "quickstart.yaml")
    assert kept == juicer.apply(rows[:200], recipe)
    assert all(len(r["text"]) >= 200 for r in kept)


def test_steps_as_names_and_dicts_are_validated_like_a_recipe(rows):
    kept = juicer.apply(rows[:100], ["whitespace_normalization_mapper",
                                     {"op": "text_length_filter", "params": {"min_len": 300}}])
    assert all(len(r["text"]) >= 300 for r in kept)
    with pytest.raises(RecipeError, match="did you mean 'min_len'"):
        juicer.apply(rows, [{"op": "text_length_filter", "params": {"min_lem": 3}}])


def test_params_are_validated_like_a_recipe():
    with pytest.raises(ValueError, match="min_num"):
        juicer.operator("words_num_filter", min_num="many")
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        juicer.operator("words_num_filter", min_words=3)
    with pytest.raises(JuicerError, match="did you mean 'words_num_filter'"):
        juicer.operator("word_num_filter")


def test_other_text_field_and_bad_inputs(rows):
    renamed = [{"content": r["text"]} for r in rows[:30]]
    kept = juicer.apply(renamed, juicer.operator("text_length_filter", min_len=300),
                        text_field="content")
    assert all(len(r["content"]) >= 300 for r in kept)
    with pytest.raises(JuicerError, match="no column 'text'"):
        juicer.apply(pa.Table.from_pylist(renamed), STEPS)
    with pytest.raises(JuicerError, match="not dict"):
        juicer.apply({"text": "x"}, STEPS)


def test_records_with_conflicting_field_types_get_a_located_error():
    rows = [{"text": "a", "tags": ["x"]}, {"text": "b", "tags": "y"}]
    with pytest.raises(juicer.JuicerError, match="field 'tags' is list in record 1 but str in record 2"):
        juicer.apply(rows, "text_length_filter")


SCRIPT = '''
import juicer
{operator}
result = juicer.process({recipe!r}, workers=2, overwrite=True)
print("kept", result.report["kept_docs"])
'''
OPERATOR = '''
from juicer.core.operator import Mapper

class Unchanged(Mapper):
    name = "unchanged_script_mapper"

    def map_text(self, texts):
        return texts
'''


@pytest.mark.parametrize("defines_operator", [False, True])
def test_a_script_calling_process_at_its_top_level(tmp_path, defines_operator):
    import subprocess
    import sys

    data = tmp_path / "in.jsonl"
    data.write_text("".join(f'{{"text": "document {i} with some words"}}\n' for i in range(50)))
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "params": {"min_len": 1}}],
                          paths=[data], input_shard_size="1KB")
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(operator=OPERATOR if defines_operator else "",
                                    recipe=str(recipe)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    if not defines_operator:  # workers need nothing from the script: it is not re-run
        assert done.returncode == 0, done.stderr
        assert "kept 50" in done.stdout
    else:  # they import it for its operator: the re-run is stopped with the fix
        assert done.returncode != 0
        assert "juicer.process() was called while a worker process imported your script" \
            in done.stderr and 'if __name__ == "__main__":' in done.stderr


def test_an_operator_call_that_quarantines_every_row_warns_with_the_first_error():
    op = juicer.operator("text_length_filter", min_len=1)
    with pytest.warns(juicer.QuarantineWarning, match=r"every one of the 2 documents was "
                                                      r"quarantined; the first.*'text'"):
        assert op([{"content": "a"}, {"content": "b"}]) == []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert op([{"text": ""}]) == []  # dropped by the rule, not quarantined: no warning


def test_analyze_from_python_replaces_an_earlier_analysis_as_the_cli_does(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text("".join(f'{{"text": "document {i} with words"}}\n' for i in range(20)))
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "params": {"min_len": 5}}],
                          paths=[data])
    first = juicer.analyze(recipe, output=str(tmp_path / "analysis"))
    again = juicer.analyze(recipe, output=str(tmp_path / "analysis"))
    assert first.output == again.output and again.report["input_docs"] == 20


def test_printing_a_run_result_shows_a_summary_not_the_whole_report(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text("".join(f'{{"text": "document {i} with words"}}\n' for i in range(20)))
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "params": {"min_len": 22}}],
                          paths=[data])
    shown = repr(juicer.process(recipe))
    assert shown.startswith(f"RunResult(output='{tmp_path / 'out'}', input_docs=20, kept=10, "
                            "dropped=10, quarantined=0, seconds=")
    assert len(shown) < 300
