"""The LLM client over real HTTP to the scripted server on loopback (tests/llm_server.py):
retries, the cache, the key, the run's limits, structured answers."""
import json

import pytest

from juicer.errors import EndpointError, JuicerError
from juicer.models import llm
from tests.llm_server import SLOW_SECONDS, score_of

SCHEMA = {"type": "object", "required": ["dimension_scores"],
          "properties": {"dimension_scores": {"type": "object", "required": ["a"],
                                              "properties": {"a": {"type": "number"}}}}}


def ask(server, messages, schema=None, **settings):
    client = llm.LLMClient(llm.LLMSettings(**server.settings(**settings)))
    with llm.tracked_usage() as usage:
        answers = client.ask([[{"role": "user", "content": m}] for m in messages], schema)
    return answers, usage.counts


@pytest.fixture
def server(llm_server):
    llm_server.reset()
    return llm_server


def test_answers_come_back_in_order_and_equal_prompts_are_asked_once(server):
    messages = [f"document number {i}" for i in range(20)] + ["document number 3"]
    answers, counts = ask(server, messages, concurrency=8)
    assert [a.content for a in answers] == ["SUMMARY: " + m.upper() for m in messages]
    assert counts["requests"] == 20 and server.seen["document number 3"] == 1
    assert counts["prompt_tokens"] == sum(len(m.split()) for m in set(messages))


@pytest.mark.parametrize("fault", ["[[429]]", "[[500]]", "[[slow]]", "[[cut]]"])
def test_a_passing_fault_is_retried_and_answered(server, fault):
    assert SLOW_SECONDS > server.settings()["timeout"]  # [[slow]] outlasts the timeout
    answers, counts = ask(server, [f"a fault {fault} here"])
    assert answers[0].error is None and answers[0].content.startswith("SUMMARY:")
    assert counts["retries"] == 1 and counts["requests"] == 2


def test_an_endpoint_that_stays_down_stops_the_run_keeping_the_answers_it_gave(server, tmp_path):
    with pytest.raises(EndpointError) as raised:
        with llm.task_place(llm.TaskPlace("shard0")):
            ask(server, ["fine one", "fine two", "[[down]] always"], max_retries=2,
                cache=str(tmp_path))
    assert server.url in str(raised.value) and "3 attempts" in str(raised.value)
    assert "resume" in raised.value.hint
    assert server.seen["[[down]] always"] == 3
    cached = (tmp_path / "shard0.jsonl").read_text().splitlines()
    assert len(cached) == 2  # the two answers that came back are not asked again


def test_a_wrong_base_url_stops_the_run_instead_of_failing_every_document(server):
    client = llm.LLMClient(llm.LLMSettings(**{**server.settings(), "base_url": server.url + "/nope"}))
    with pytest.raises(EndpointError, match="HTTP 404"):
        client.ask([[{"role": "user", "content": "x"}]])


def test_the_cache_answers_a_second_time_and_a_line_cut_by_a_kill_is_asked_again(server, tmp_path):
    messages = [f"cached text {i}" for i in range(5)]
    with llm.task_place(llm.TaskPlace("stage0-shard3")):
        first, counts = ask(server, messages, cache=str(tmp_path))
        assert counts["requests"] == 5
        llm.AnswerCache._open.clear()  # a new process: the file is read back
        again, counts = ask(server, messages, cache=str(tmp_path))
        assert counts.get("requests", 0) == 0 and counts["cache_hits"] == 5
        assert [a.content for a in again] == [a.content for a in first]
        path = tmp_path / "stage0-shard3.jsonl"
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:10])  # killed mid-line
        llm.AnswerCache._open.clear()
        _, counts = ask(server, messages, cache=str(tmp_path))
        assert counts["requests"] == 1 and counts["cache_hits"] == 4
    llm.AnswerCache._open.clear()


def test_other_params_or_model_are_another_question(server, tmp_path):
    ask(server, ["same text"], cache=str(tmp_path))
    _, counts = ask(server, ["same text"], cache=str(tmp_path), params={"temperature": 0.7})
    assert counts["requests"] == 1
    llm.AnswerCache._open.clear()


def test_the_key_is_read_from_the_environment_and_sent_only_as_a_header(server, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("JUICER_TEST_LLM_KEY", "sk-test-secret-42")
    ask(server, ["keyed"], api_key_env="JUICER_TEST_LLM_KEY", cache=str(tmp_path))
    assert server.headers[-1]["Authorization"] == "Bearer sk-test-secret-42"
    assert "sk-test-secret-42" not in json.dumps(server.requests)
    assert all("sk-test-secret-42" not in p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    monkeypatch.delenv("JUICER_TEST_LLM_KEY")
    with pytest.raises(JuicerError, match="JUICER_TEST_LLM_KEY"):
        ask(server, ["keyed but unset"], api_key_env="JUICER_TEST_LLM_KEY")
    llm.AnswerCache._open.clear()


def test_the_run_limit_is_shared_by_every_client_through_the_budget_file(server, tmp_path):
    place = llm.TaskPlace("s", str(tmp_path / "budget.json"))
    with llm.task_place(place):
        first, _ = ask(server, ["one a", "one b"], max_requests=3)
        with pytest.raises(EndpointError, match=r"request limit reached \(llm.max_requests=3\)"):
            ask(server, ["two a", "two b", "two c"], max_requests=3)
    assert all(a.error is None for a in first)
    assert len(server.requests) == 3  # the run stops instead of dropping what it did not ask
    assert json.loads((tmp_path / "budget.json").read_text())["requests"] == 3


def test_structured_answers_are_parsed_and_checked_against_the_schema(server):
    answers, _ = ask(server, ["a few words here", "[[garbage]]", "[[offschema]]"], SCHEMA)
    value, problem = llm.parse_structured(answers[0], SCHEMA)
    assert problem is None and value["dimension_scores"]["a"] == score_of("a few words here")
    assert "not JSON" in llm.parse_structured(answers[1], SCHEMA)[1]
    assert "has no 'dimension_scores'" in llm.parse_structured(answers[2], SCHEMA)[1]
    assert server.requests[0]["response_format"]["json_schema"]["schema"] == SCHEMA


@pytest.mark.parametrize("content, problem", [
    ('```json\n{"dimension_scores": {"a": 2}}\n```', None),
    ('Here you are: {"dimension_scores": {"a": 2}} Hope it helps.', None),
    ('{"dimension_scores": {"a": "high"}}', "answer.dimension_scores.a is not a number"),
    ('{"dimension_scores": {}}', "answer.dimension_scores has no 'a'"),
])
def test_parse_structured_tolerates_fences_and_prose_and_names_what_is_wrong(content, problem):
    _, found = llm.parse_structured(llm.Answer(content), SCHEMA)
    assert (found is None) if problem is None else problem in found


def test_an_answer_cut_at_max_tokens_is_unusable():
    answer = llm.Answer('{"dimension_scores": {"a": 2}}', finish_reason="length")
    assert llm.parse_structured(answer, SCHEMA)[1] == "the answer was cut at max_tokens"


def test_json_mode_and_plain_prompts_ask_no_schema(server):
    ask(server, ["x y z"], SCHEMA, response_format="json_object")
    ask(server, ["x y z w"], SCHEMA, response_format="none")
    assert server.requests[0]["response_format"] == {"type": "json_object"}
    assert "response_format" not in server.requests[1]
