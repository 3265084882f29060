"""Instruction data: layouts convert into each other (juicer convert), and recipes run on
nested fields (messages[-1].content) for filters, mappers and dedup, with real GPTeacher
instructions."""
import itertools
import json
import subprocess
import sys

import pyarrow as pa
import pytest

import juicer
from juicer.core import fields
from juicer.errors import OperatorError
from tests.conftest import DATA, read_output, write_recipe

GPTEACHER = DATA / "gpteacher_roleplay.jsonl"
JUICER = [sys.executable, "-m", "juicer.cli"]


@pytest.fixture(scope="module")
def alpaca():
    return [json.loads(line) for line in GPTEACHER.open(encoding="utf-8")]


def read_jsonl(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_layouts_round_trip_through_every_other(tmp_path, alpaca):
    steps = [("messages", "m.jsonl"), ("sharegpt", "s.parquet"), ("query_response", "q.jsonl"),
             ("alpaca", "a.jsonl")]
    source = GPTEACHER
    for layout, name in steps:
        done = juicer.convert([source], str(tmp_path / name), layout)
        assert done["converted"] == 400 and done["failed"] == 0
        source = tmp_path / name
    messages = read_jsonl(tmp_path / "m.jsonl")
    assert messages[0]["messages"][1] == {"role": "assistant", "content": alpaca[0]["response"]}
    assert set(messages[0]) == {"messages"}  # the Alpaca fields are replaced
    back = read_jsonl(tmp_path / "a.jsonl")
    for before, after in zip(alpaca, back):
        prompt = before["instruction"] + (f"\n\n{before['input']}" if before["input"].strip()
                                          else "")
        assert after == {"instruction": prompt, "input": "", "output": before["response"]}
    import pyarrow.parquet as pq

    turns = pq.read_table(tmp_path / "s.parquet").column("conversations")[0].as_py()
    assert [t["from"] for t in turns] == ["human", "gpt"]


def test_dialogues_without_a_target_form_are_listed_not_lost(tmp_path):
    path = tmp_path / "chat.jsonl"
    dialogue = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye!"}]
    path.write_text(json.dumps({"id": 1, "messages": dialogue[1:3]}) + "\n" +
                    json.dumps({"id": 2, "messages": dialogue}) + "\n")
    run = subprocess.run(JUICER + ["convert", str(path), "--to", "alpaca", "-o",
                                   str(tmp_path / "a.jsonl")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "1 records have no alpaca form" in run.stdout
    assert read_jsonl(tmp_path / "a.jsonl") == [{"id": 1, "instruction": "Hi", "input": "",
                                                 "output": "Hello"}]
    # a field only some records have is null in the others (as in every JSONL Juicer writes)
    failed = read_jsonl(tmp_path / "a.failed.jsonl")
    assert failed[0]["file"] == str(path) and failed[0]["record"]["id"] == 2
    assert "2 exchanges has no Alpaca form" in failed[0]["error"]
    juicer.convert([path], str(tmp_path / "q.jsonl"), "query_response")
    assert read_jsonl(tmp_path / "q.jsonl")[0]["system"] is None
    assert read_jsonl(tmp_path / "q.jsonl")[1] == {
        "id": 2, "query": "Bye", "response": "Bye!", "history": [["Hi", "Hello"]],
        "system": "Be brief."}


def test_field_paths_read_and_write_nested_text():
    table = pa.Table.from_pylist([
        {"messages": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]},
        {"messages": []}, {"messages": None},
        {"messages": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": None}]},
    ]).slice(0, 4)
    assert fields.text_values(table, "messages[-1].content").to_pylist() == ["a1", None, None, None]
    assert fields.text_values(table, "messages[0].content").to_pylist() == ["q1", None, None, "q2"]
    assert fields.text_values(table, "messages[*].content").to_pylist() == ["q1\na1", "", None,
                                                                            "q2\n"]
    written = fields.with_text(table, "messages[-1].content", pa.array(["A", "B", "C", "D"]))
    assert written.column("messages").to_pylist() == [
        [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "A"}], [], None,
        [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "D"}]]
    with pytest.raises(OperatorError, match="cannot rewrite through"):
        fields.with_text(table, "messages[*].content", pa.array(["x"] * 4))
    with pytest.raises(OperatorError, match="not a field path"):
        fields.text_values(table, "messages[x]")
    with pytest.raises(OperatorError, match="an index needs a list"):
        fields.text_values(table, "messages[0].content[1]")


def test_a_selection_path_reads_the_messages_of_one_role():
    dialogues = [
        [{"role": "system", "content": "s"}, {"role": "user", "content": "q1"},
         {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}],
        None, [{"role": "assistant", "content": "a"}], [],
        [{"role": "user", "content": "only"}],
    ]
    table = pa.Table.from_pylist([{"messages": d} for d in [[]] + dialogues]).slice(1)
    assert fields.text_values(table, "messages[role=user][0].content").to_pylist() == [
        "q1", None, None, None, "only"]
    assert fields.text_values(table, "messages[role=user][-1].content").to_pylist() == [
        "q2", None, None, None, "only"]
    assert fields.text_values(table, "messages[role=assistant][*].content").to_pylist() == [
        "a1", None, "a", "", ""]
    for record, path in itertools.product(table.to_pylist(), ["messages[role=user][0].content",
                                                              "messages[role=user][-1].content"]):
        assert fields.record_value(record, path) == fields.text_values(
            pa.Table.from_pylist([record], schema=table.schema), path)[0].as_py()
    with pytest.raises(OperatorError, match="cannot rewrite through a \\[key=value\\]"):
        fields.with_text(table, "messages[role=user][0].content", pa.array(["x"] * 5))


def test_a_recipe_on_chat_messages_filters_cleans_and_dedups_nested_fields(tmp_path, alpaca):
    juicer.convert([GPTEACHER], str(tmp_path / "m.jsonl"), "messages")
    rows = read_jsonl(tmp_path / "m.jsonl")
    for index, row in enumerate(rows):
        row["id"] = index
        row["messages"][1]["content"] = "  " + row["messages"][1]["content"] + "   \n"
    # the same prompt asked again (with another answer): a duplicate on the prompt side
    copies = [{"id": 1000 + i, "messages": [rows[i]["messages"][0],
                                            {"role": "assistant", "content": "Another answer " * 30}]}
              for i in range(0, 40, 4)]
    broken = {"id": 2000, "messages": []}  # no answer at all: quarantined, with the path
    data = tmp_path / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows + copies + [broken]))
    pipeline = [
        {"op": "whitespace_normalization_mapper"},  # on the answer (the text field)
        {"op": "text_length_filter", "params": {"min_len": 400}},
        {"op": "words_num_filter", "params": {"min_num": 12, "text_key": "messages[0].content"}},
        {"op": "document_deduplicator", "params": {"text_key": "messages[0].content"}},
    ]
    recipe = write_recipe(tmp_path, pipeline, paths=[data], input_shard_size=60_000,
                          input_text_field="messages[-1].content", output_format="jsonl")
    result = juicer.process(recipe, workers=2, overwrite=True)
    report = result.report
    assert report["executor"]["shards"] > 2 and report["accounting_ok"]
    assert report["input_docs"] == 411 and report["quarantined_docs"] == 1
    quarantined = read_output(result.output, "quarantine").to_pylist()
    assert quarantined[0]["error"] == "'messages[-1].content' is missing or not a string"

    kept = read_output(result.output, "data").to_pylist()
    by_id = {row["id"]: row for row in rows + copies}
    expected = []
    seen = set()
    for row in rows + copies:
        answer = row["messages"][1]["content"].strip()
        prompt = row["messages"][0]["content"]
        if len(answer) < 400 or len(prompt.split()) < 12:
            continue
        if prompt in seen:
            continue
        seen.add(prompt)
        expected.append(row["id"])
    assert [row["id"] for row in kept] == expected
    assert not any(row["id"] >= 1000 for row in kept)  # the repeated prompts are gone
    for row in kept:  # the answer was cleaned in place, the prompt and roles left alone
        original = by_id[row["id"]]["messages"]
        assert row["messages"][1]["content"] == original[1]["content"].strip()
        assert row["messages"][0] == original[0]
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    reasons = {row["__drop_reason__"] for row in read_output(result.output, "dropped").to_pylist()}
    assert "document_deduplicator:duplicate" in reasons
