"""llm_mapper: a prompt template over fields, the answer written as text or as typed
fields, the rest of the record untouched, unusable answers quarantined or null."""
import pytest

import juicer
from tests.llm_server import text_answer


@pytest.fixture
def server(llm_server):
    llm_server.reset()
    return llm_server


ROWS = [{"text": "The cat sat on the mat all day long.", "meta": {"title": "Cats", "n": 1}},
        {"text": "Rain fell.", "meta": {"title": "Weather", "n": 2}}]


def test_a_text_answer_goes_into_a_new_field_and_carried_fields_are_untouched(server):
    op = juicer.operator("llm_mapper", llm=server.settings(),
                         prompt="Title: {meta.title}\nSummarize: {text}", output_key="summary")
    out = juicer.apply(ROWS, op)
    for row, result in zip(ROWS, out):
        assert result["summary"] == text_answer(f"Title: {row['meta']['title']}\nSummarize: "
                                                f"{row['text']}")
        assert {k: v for k, v in result.items() if k != "summary"} == row


def test_the_text_field_itself_can_be_rewritten(server):
    op = juicer.operator("llm_mapper", llm=server.settings(), prompt="Rewrite: {text}",
                         output_key="text")
    out = juicer.apply(ROWS, op, detailed=True)
    assert [r["text"] for r in out.kept] == [text_answer(f"Rewrite: {r['text']}") for r in ROWS]
    assert out.steps[0]["changed_docs"] == 2


def test_output_fields_are_asked_as_json_and_written_typed(server):
    op = juicer.operator("llm_mapper", llm=server.settings(), prompt="Extract from: {text}",
                         output_fields={"topic": "string", "words": "integer",
                                        "long": "boolean", "weight": "number"})
    out = juicer.apply(ROWS, op)
    first = out[0]
    words = len("Extract from: The cat sat on the mat all day long.".split())
    assert first["topic"] == "Extract" and first["words"] == words and first["long"] is True
    assert first["weight"] == float(words)
    schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["topic", "words", "long", "weight"]


def test_an_unusable_answer_is_quarantined_or_null(server):
    rows = ROWS + [{"text": "[[garbage]] here", "meta": {"title": "x", "n": 3}}]
    held = juicer.apply(rows, juicer.operator("llm_mapper", llm=server.settings(),
                                              prompt="Topic of {text}",
                                              output_fields={"topic": "string"}), detailed=True)
    assert held.counts == {"kept": 2, "dropped": 0, "quarantined": 1}
    assert "not JSON" in held.quarantined[0]["error"]
    nulls = juicer.apply(rows, juicer.operator("llm_mapper", llm=server.settings(),
                                               prompt="Topic of {text}", on_invalid="null",
                                               output_fields={"topic": "string"}))
    assert [r["topic"] for r in nulls] == ["Topic", "Topic", None]


def test_a_prompt_without_a_field_is_refused():
    with pytest.raises(ValueError, match="names no field"):
        juicer.operator("llm_mapper", llm={"base_url": "http://x/v1", "model": "m"},
                        prompt="Say hello")
