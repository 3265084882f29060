"""format_convert_mapper: the conversion of `juicer convert` as a recipe step, on real
GPTeacher instructions and HH-RLHF dialogues; the later steps read the converted text."""
import gzip
import json
from pathlib import Path

import pytest

import juicer
from juicer.corpus import instruct
from tests.conftest import DATA, read_output, write_recipe

GPTEACHER = DATA / "gpteacher_roleplay.jsonl"
HH = Path(__file__).parents[3] / "recipes" / "sample" / "hh_rlhf_chat_sample.jsonl.gz"


def alpaca_rows():
    return [json.loads(line) for line in GPTEACHER.open(encoding="utf-8")]


def test_converts_as_juicer_convert_does_and_later_steps_read_the_answer(tmp_path):
    recipe = write_recipe(tmp_path, [
        {"op": "format_convert_mapper", "params": {"to": "messages"}},
        {"op": "text_length_filter", "params": {"min_len": 600}},
    ], paths=[GPTEACHER], input_text_field="instruction", input_shard_size="100KB")
    result = juicer.process(recipe, workers=2)
    kept = read_output(result.output).to_pylist()
    converted = tmp_path / "converted.jsonl"
    juicer.convert([GPTEACHER], str(converted), "messages")
    expected = [json.loads(line) for line in converted.open(encoding="utf-8")]
    expected = [r for r in expected if len(r["messages"][-1]["content"]) >= 600]
    assert 0 < len(kept) < 400
    assert [r["messages"] for r in kept] == [r["messages"] for r in expected]
    assert "instruction" not in kept[0] and "response" not in kept[0]
    # the filter was pointed at the answer, and says so in the resolved recipe
    resolved = (Path(result.output) / "recipe.resolved.yaml").read_text()
    assert "text_key: messages[-1].content" in resolved
    samples = result.report["kept_samples"]
    assert samples and all(len(s["text"]) >= 600 for s in samples)
    assert result.report["accounting_ok"]


def test_a_dialogue_with_no_alpaca_form_is_quarantined_and_the_rest_converted(tmp_path):
    with gzip.open(HH, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(200))]
    single = sum(len(r["messages"]) == 2 for r in rows)
    assert 0 < single < 200
    data = tmp_path / "hh.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = write_recipe(tmp_path, [{"op": "format_convert_mapper", "params": {"to": "alpaca"}}],
                          paths=[data], input_text_field="messages[-1].content")
    result = juicer.process(recipe)
    kept = read_output(result.output).to_pylist()
    assert len(kept) == single
    assert kept[0]["output"] == next(r for r in rows if len(r["messages"]) == 2)["messages"][1]["content"]
    assert set(kept[0]) == {"id", "instruction", "input", "output", "system"}
    quarantined = read_output(result.output, "quarantine").to_pylist()
    assert len(quarantined) == 200 - single
    assert "has no Alpaca form" in quarantined[0]["error"]
    assert "format_convert_mapper" in quarantined[0]["error"]
    report = result.report
    assert report["input_docs"] == report["kept_docs"] + report["quarantined_docs"]


def test_python_api_and_every_layout_round_trips():
    rows = alpaca_rows()[:20]
    current, previous = rows, None
    for layout in ("sharegpt", "query_response", "messages", "alpaca"):
        current = juicer.operator("format_convert_mapper", to=layout)(
            current, text_field=instruct.ANSWER_PATHS.get(previous, "instruction"))
        previous = layout
        assert instruct.detect(list(current[0])) == layout
    # Alpaca's input joins the instruction after a blank line, as its prompt template does
    assert [r["instruction"] for r in current] == [
        f"{r['instruction']}\n\n{r['input']}" if r["input"].strip() else r["instruction"]
        for r in rows]
    assert [r["output"] for r in current] == [r["response"] for r in rows]


def test_operator_instances_after_a_conversion_read_the_answer():
    rows = alpaca_rows()[:40]
    kept = juicer.apply(rows, [juicer.operator("format_convert_mapper", to="messages"),
                               juicer.operator("text_length_filter", min_len=600)],
                        text_field="instruction")
    assert [r["messages"][-1]["content"] for r in kept] == \
        [r["response"] for r in rows if len(r["response"]) >= 600]


def test_unknown_layout_is_named():
    with pytest.raises(juicer.JuicerError, match="no known instruction layout"):
        juicer.operator("format_convert_mapper")([{"text": "plain"}], on_error="raise")
    # quarantined by default, never passed on unconverted
    assert juicer.operator("format_convert_mapper")([{"text": "plain"}]) == []
    with pytest.raises(ValueError, match="to"):
        juicer.operator("format_convert_mapper", to="chatml")
