"""An operator that fails on some documents costs those documents (quarantined with the
step and the error), not the batch or the run; `on_error: raise` stops with the location.
`input.strict` makes the first unreadable record an error."""
import json

import pyarrow.compute as pc
import pytest

import juicer
from juicer.errors import JuicerError, OperatorError
from tests.conftest import DATA, read_output, write_recipe


@juicer.register
class FragileMapper(juicer.Mapper):
    """Upper-cases text; fails on any document containing 'boom' (a test operator)."""

    name = "fragile_test_mapper"

    def map_text(self, text):
        if pc.any(pc.match_substring(text, "boom")).as_py():
            raise ValueError("cannot handle 'boom'")
        return pc.utf8_upper(text)


@juicer.register
class BrokenMapper(juicer.Mapper):
    """Fails on every batch, even of one document (a test operator)."""

    name = "broken_test_mapper"

    def map_text(self, text):
        raise RuntimeError("always broken")


ROWS = [{"id": i, "text": t} for i, t in enumerate(
    ["fine one", "boom here", "fine two", "another boom", "fine three"])]


def test_only_the_failing_documents_are_quarantined():
    result = juicer.apply(ROWS, ["fragile_test_mapper", {"op": "text_length_filter",
                                                         "params": {"min_len": 1}}],
                          detailed=True)
    assert [r["id"] for r in result.kept] == [0, 2, 4]
    assert [r["text"] for r in result.kept] == ["FINE ONE", "FINE TWO", "FINE THREE"]
    error = "step 'fragile_test_mapper' (fragile_test_mapper) raised ValueError: cannot handle 'boom'"
    assert [(q["row"], q["error"]) for q in result.quarantined] == [(1, error), (3, error)]
    assert "boom here" in result.quarantined[0]["raw"]
    assert result.steps[0]["docs_in"] == 3  # metrics count the documents it processed


def test_on_error_raise_stops_with_the_step():
    with pytest.raises(OperatorError, match="step 'fragile_test_mapper'.*cannot handle 'boom'"):
        juicer.apply(ROWS, ["fragile_test_mapper"], on_error="raise")


def test_an_operator_failing_on_every_document_sets_them_all_aside():
    # a failure in setup() stops the run; failures on documents never do
    result = juicer.apply(ROWS, ["broken_test_mapper", "text_length_filter"], detailed=True)
    assert result.counts == {"kept": 0, "dropped": 0, "quarantined": 5}
    assert {q["error"] for q in result.quarantined} == {
        "step 'broken_test_mapper' (broken_test_mapper) raised RuntimeError: always broken"}


def test_runner_quarantines_failures_and_counts_add_up(tmp_path):
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    recipe = write_recipe(tmp_path, [{"op": "fragile_test_mapper"},
                                     {"op": "text_length_filter", "params": {"min_len": 9}}],
                          paths=[data])
    report = juicer.process(recipe, workers=1).report
    assert (report["input_docs"], report["kept_docs"], report["dropped_docs"],
            report["quarantined_docs"]) == (5, 1, 2, 2)
    assert report["accounting_ok"]
    quarantine = read_output(tmp_path / "out", "quarantine").to_pylist()
    assert [q["file"] for q in quarantine] == [str(data)] * 2
    lines = [i + 1 for i, row in enumerate(ROWS) if "boom" in row["text"]]
    assert [q["line"] for q in quarantine] == lines and len(lines) == 2
    assert [q["error"] for q in quarantine] == [
        "step 'fragile_test_mapper' (fragile_test_mapper) raised ValueError: cannot handle "
        "'boom'"] * 2
    recipe.write_text(recipe.read_text() + "on_error: raise\n")
    with pytest.raises(JuicerError, match="cannot handle 'boom'"):
        juicer.process(recipe, workers=1, overwrite=True)


def test_strict_input_stops_at_the_first_bad_record(tmp_path):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter"}],
                          paths=[DATA / "bad_records.jsonl"], input_strict=True)
    with pytest.raises(JuicerError, match=r"bad_records.jsonl, line 2: invalid JSON"):
        juicer.process(recipe, workers=1)


def test_on_error_is_validated(tmp_path):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter"}], paths=["x.jsonl"])
    recipe.write_text(recipe.read_text() + "on_error: ignore\n")
    with pytest.raises(juicer.RecipeError, match="on_error must be 'quarantine' or 'raise'"):
        juicer.load_recipe(recipe)


def test_a_document_over_the_size_limit_is_quarantined_with_its_line(tmp_path, sample_rows):
    path = tmp_path / "big.jsonl"
    huge = "word " * (11 * 10**6 // 5)  # 11 MB: over the 10 MB default
    with open(path, "w", encoding="utf-8") as handle:
        for index, row in enumerate(sample_rows[:200]):
            handle.write(json.dumps(row) + "\n")
            if index == 120:
                handle.write(json.dumps({"id": "huge", "text": huge}) + "\n")
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter"}], paths=[path])
    report = juicer.process(recipe, overwrite=True).report
    assert report["input_docs"] == 201 and report["quarantined_docs"] == 1
    assert report["accounting_ok"]
    [entry] = read_output(tmp_path / "out", "quarantine").to_pylist()
    assert entry["file"] == str(path) and entry["line"] == 122
    assert entry["error"].startswith("document too large: 11,000,000 bytes of text, more than "
                                     "input.max_document_bytes (10,000,000)")
    assert len(entry["raw"]) < 3000
    limited = juicer.process(recipe, overwrite=True,
                             overrides=["input.max_document_bytes=1GB"]).report
    assert limited["quarantined_docs"] == 0
    with pytest.raises(JuicerError, match=r"big.jsonl, line 122: document too large"):
        juicer.process(recipe, overwrite=True, overrides=["input.strict=true"])
