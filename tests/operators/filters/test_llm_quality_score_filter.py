"""llm_quality_score_filter against the scripted endpoint (tests/llm_server.py): scores,
the keep range, unusable answers dropped or quarantined, the prompt it sends."""
import pytest

import juicer
from juicer.errors import JuicerError
from tests.llm_server import score_of

OP = "llm_quality_score_filter"


@pytest.fixture
def server(llm_server):
    llm_server.reset()
    return llm_server


def test_scores_are_the_mean_rating_over_five_and_the_range_keeps(server, sample_texts):
    rows = [{"text": t, "id": i} for i, t in enumerate(sample_texts[:40])]
    result = juicer.apply(rows, juicer.operator(OP, llm=server.settings(), min_score=0.7),
                          detailed=True)
    prompts = {r["messages"][-1]["content"]: r for r in server.requests}
    expected = {}
    for row in rows:
        prompt = f"Rate this sample.\n\n## text\n{row['text']}"
        expected[row["id"]] = score_of(prompt) / 5
        assert prompt in prompts
    assert {r["id"] for r in result.kept} == {i for i, s in expected.items() if s >= 0.7}
    for row in result.dropped:
        assert row["__stats__"]["llm_quality_score"] == pytest.approx(expected[row["id"]])
        assert row["__drop_reason__"] == "llm_quality_score_filter:min_score"
    assert result.counts["kept"] + result.counts["dropped"] == len(rows)
    system = server.requests[0]["messages"][0]
    assert system["role"] == "system" and "accuracy, grammar, informativeness, coherence" in \
        system["content"]


def test_an_unusable_answer_is_dropped_as_invalid_or_quarantined(server):
    rows = [{"text": "a fine document with enough words to be scored well here"},
            {"text": "[[garbage]] answer"}, {"text": "[[offschema]] answer"}]
    dropped = juicer.apply(rows, juicer.operator(OP, llm=server.settings(), min_score=0),
                           detailed=True)
    assert [r["text"] for r in dropped.kept] == [rows[0]["text"]]
    assert {r["__drop_reason__"] for r in dropped.dropped} == \
        {"llm_quality_score_filter:invalid_answer"}
    requests = len(server.requests)
    held = juicer.apply(rows, juicer.operator(OP, llm=server.settings(), min_score=0,
                                              on_invalid="quarantine"), detailed=True)
    assert [r["text"] for r in held.kept] == [rows[0]["text"]]
    assert held.counts == {"kept": 1, "dropped": 0, "quarantined": 2}
    errors = sorted(q["error"] for q in held.quarantined)
    assert "not JSON" in errors[1] and "has no 'dimension_scores'" in errors[0]
    # retried document by document, the answers come from the operator's memory of them
    assert len(server.requests) == requests + 3


def test_input_keys_field_names_and_templates_shape_the_prompt(server):
    rows = [{"instruction": "Name a prime.", "output": "Seven.", "text": "unused"}]
    op = juicer.operator(OP, llm=server.settings(), min_score=0,
                         input_keys=["instruction", "output"], field_names=["Question", "Answer"],
                         field_template="[{field_name}] {field_data}",
                         input_template="Judge:\n{data}", system_prompt="Be strict.",
                         examples=[{"input": "[Question] 1+1?\n[Answer] 2",
                                    "output": {"dimension_scores": {"accuracy": 5}}}])
    juicer.apply(rows, op)
    messages = server.requests[-1]["messages"]
    assert messages[0] == {"role": "system", "content": "Be strict."}
    assert messages[1]["role"] == "user" and messages[2]["role"] == "assistant"
    assert messages[-1]["content"] == "Judge:\n[Question] Name a prime.\n\n[Answer] Seven."


def test_dim_required_keys_must_be_its_dimensions_and_field_names_match_keys(server):
    with pytest.raises(JuicerError, match="not among its dimensions"):
        juicer.apply([{"text": "x"}], juicer.operator(OP, llm=server.settings(),
                                                      dim_required_keys=["beauty"]))
    with pytest.raises(ValueError, match="one name per input key"):
        juicer.operator(OP, llm=server.settings(), input_keys=["a"], field_names=["A", "B"])
