"""Recipes whose steps ask a language model, run end to end against the scripted endpoint
on loopback (tests/llm_server.py; no real model runs in CI): the recipe's `llm:` section,
the key that never reaches an output, the cache that makes a rerun free and byte-identical,
a resume after the endpoint went away, unusable answers accounted for, the figures in
report.json and report.html, and the same output on Dask and Ray."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import juicer
from juicer.engine.executors.base import TaskFailed
from tests.conftest import read_output, write_recipe

SECRET = "sk-juicer-test-3f9a7c1e5d"
PIPELINE = [
    {"op": "whitespace_normalization_mapper"},
    {"op": "llm_quality_score_filter", "params": {"min_score": 0.7}},
    {"op": "llm_mapper", "params": {"prompt": "Summarize: {text}", "output_key": "summary"}},
]


@pytest.fixture
def server(llm_server, monkeypatch):
    monkeypatch.setenv("JUICER_TEST_LLM_KEY", SECRET)
    llm_server.reset()
    return llm_server


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_rows) -> Path:
    """90 real documents with an id and a nested carried field, in one JSONL file."""
    path = tmp_path_factory.mktemp("llm_corpus") / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i, row in enumerate(sample_rows[:90]):
            record = {"id": i, "text": row["text"], "meta": {"n": i, "tags": ["a", str(i)]}}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def llm_recipe(directory: Path, server, corpus: Path, pipeline=PIPELINE, **llm) -> Path:
    path = write_recipe(directory, pipeline, paths=[corpus], input_shard_size="40KB")
    recipe = yaml.safe_load(path.read_text())
    recipe["llm"] = server.settings(api_key_env="JUICER_TEST_LLM_KEY", **llm)
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def outputs(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for kind in ("data", "dropped", "quarantine") for p in sorted((directory / kind).glob("*"))}


def distinct_prompts(server) -> int:
    return len({json.dumps(r["messages"], sort_keys=True) for r in server.requests})


def test_a_recipe_llm_section_reaches_every_llm_step_and_the_key_no_output(
        tmp_path, server, corpus):
    result = juicer.process(llm_recipe(tmp_path, server, corpus))
    report = result.report
    assert report["accounting_ok"] and report["input_docs"] == 90
    assert report["kept_docs"] + report["dropped_docs"] + report["quarantined_docs"] == 90
    assert {h.get("Authorization") for h in server.headers} == {f"Bearer {SECRET}"}
    scored, mapped = report["steps"][1], report["steps"][2]
    assert scored["llm"]["requests"] == 90 and mapped["llm"]["requests"] == report["kept_docs"]
    assert report["llm"]["requests"] == len(server.requests) == 90 + report["kept_docs"]
    assert report["llm"]["prompt_tokens"] == sum(
        sum(len(m["content"].split()) for m in r["messages"]) for r in server.requests)
    assert report["llm"]["cache_hits"] == 0 and report["llm"]["errors"] == 0
    kept = read_output(result.output).to_pylist()
    assert all(row["summary"].startswith("SUMMARY: ") for row in kept)
    assert all(row["meta"] == {"n": row["id"], "tags": ["a", str(row["id"])]} for row in kept)
    html = (Path(result.output) / "report.html").read_text(encoding="utf-8")
    assert '<section id="llm"><h2>Language model</h2>' in html and "cache hits" in html
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    resolved = yaml.safe_load((Path(result.output) / "recipe.resolved.yaml").read_text())
    assert resolved["pipeline"][1]["params"]["llm"]["api_key_env"] == "JUICER_TEST_LLM_KEY"


def test_a_key_variable_that_is_not_set_stops_the_run_naming_it(tmp_path, server, corpus,
                                                                 monkeypatch):
    monkeypatch.delenv("JUICER_TEST_LLM_KEY")
    with pytest.raises(TaskFailed) as stopped:
        juicer.process(llm_recipe(tmp_path, server, corpus))
    assert stopped.value.error_type == "EndpointError"
    assert "JUICER_TEST_LLM_KEY (llm.api_key_env) is not set" in str(stopped.value)
    assert server.requests == []


def test_a_rerun_pays_nothing_and_writes_the_same_bytes(tmp_path, server, corpus):
    recipe = llm_recipe(tmp_path, server, corpus)
    first = juicer.process(recipe)
    before, asked = outputs(Path(first.output)), len(server.requests)
    assert (Path(first.output) / "llm_cache").is_dir()
    again = juicer.process(recipe, overwrite=True)
    assert len(server.requests) == asked  # --overwrite keeps llm_cache/
    assert again.report["llm"]["requests"] == 0
    assert again.report["llm"]["cache_hits"] == first.report["llm"]["requests"]
    assert outputs(Path(again.output)) == before


def test_a_run_stopped_by_the_endpoint_resumes_and_asks_each_prompt_once(tmp_path, server, corpus):
    recipe = llm_recipe(tmp_path, server, corpus, max_retries=1)
    server.answer_only = 40
    with pytest.raises(TaskFailed) as stopped:
        juicer.process(recipe)
    assert stopped.value.error_type == "EndpointError" and "HTTP 503" in str(stopped.value)
    server.answer_only = None
    resumed = juicer.process(recipe)
    assert resumed.report["accounting_ok"] and resumed.report["input_docs"] == 90
    answered = [r for r in server.requests]  # every request the server saw, failed ones too
    assert distinct_prompts(server) == 90 + resumed.report["kept_docs"]
    # each prompt answered once: the 40 answers before the stop came from the cache
    assert server.answered == distinct_prompts(server) and len(answered) > server.answered
    fresh = juicer.process(llm_recipe(tmp_path / "fresh", server, corpus))
    assert outputs(Path(resumed.output)) == outputs(Path(fresh.output))


def test_the_run_limit_stops_asking_and_a_later_run_goes_on(tmp_path, server, corpus):
    recipe = llm_recipe(tmp_path, server, corpus, max_requests=30)
    with pytest.raises(TaskFailed) as stopped:
        juicer.process(recipe)
    assert stopped.value.error_type == "EndpointError" and "max_requests" in str(stopped.value)
    assert len(server.requests) == 30
    path = Path(recipe)
    edited = yaml.safe_load(path.read_text())
    del edited["llm"]["max_requests"]
    path.write_text(yaml.safe_dump(edited, sort_keys=False))
    resumed = juicer.process(recipe)
    assert resumed.report["accounting_ok"]
    assert server.answered == distinct_prompts(server)


def test_unusable_answers_are_quarantined_and_the_counts_add_up(tmp_path, server, sample_rows):
    path = tmp_path / "marked.jsonl"
    texts = [row["text"] for row in sample_rows[:24]]
    texts[3] = "[[garbage]] " + texts[3]
    texts[7] = "[[offschema]] " + texts[7]
    texts[11] = "[[429]] " + texts[11]
    texts[15] = "[[500]] " + texts[15]
    texts[19] = "[[cut]] " + texts[19]
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    pipeline = [{"op": "llm_quality_score_filter",
                 "params": {"min_score": 0.0, "on_invalid": "quarantine"}}]
    result = juicer.process(llm_recipe(tmp_path, server, path, pipeline=pipeline))
    report = result.report
    assert report["accounting_ok"]
    assert (report["kept_docs"], report["dropped_docs"], report["quarantined_docs"]) == (22, 0, 2)
    held = read_output(result.output, "quarantine").to_pylist()
    assert sorted(r["line"] for r in held) == [4, 8]  # ids 3 and 7
    assert all(r["file"] == str(path) and "unusable LLM answer" in r["error"] for r in held)
    assert sorted(r["raw"][:10] for r in held) == ['{"id": 3, ', '{"id": 7, ']
    assert report["llm"]["retries"] >= 3  # the 429, the 500 and the cut reply, each retried once


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_llm_steps_on_dask_and_ray_give_the_local_output(tmp_path, server, corpus, kind):
    local = juicer.process(llm_recipe(tmp_path / "local", server, corpus))
    asked = len(server.requests)
    server.reset()
    recipe = llm_recipe(tmp_path / kind, server, corpus)
    edited = yaml.safe_load(recipe.read_text())
    edited["executor"] = {"kind": kind}
    recipe.write_text(yaml.safe_dump(edited, sort_keys=False))
    result = juicer.process(recipe, workers=2)
    assert result.report["executor"]["kind"] == kind
    assert outputs(Path(result.output)) == outputs(Path(local.output))
    assert len(server.requests) == asked == result.report["llm"]["requests"]


def test_plan_sends_no_request_and_lists_the_llm_steps(tmp_path, server, corpus):
    """A dry run must cost nothing: LLM steps are listed with the documents that reach them
    (the requests a run would send), not run; the steps around them are measured."""
    pipeline = [{"op": "words_num_filter", "id": "words", "params": {"min_num": 80}},
                {"op": "llm_quality_score_filter", "id": "rated"},
                {"op": "text_length_filter", "id": "length", "params": {"max_len": 3000}}]
    path = llm_recipe(tmp_path, server, corpus, pipeline)
    estimate = juicer.plan(path, sample=30)
    assert server.requests == [] and not (tmp_path / "out").exists()
    words, rated, length = estimate["steps"]
    assert [step["id"] for step in estimate["steps"]] == ["words", "rated", "length"]
    assert words["docs_in"] == 90 and words["dropped"] > 0
    assert rated["dropped"] is None and rated["keep_share"] is None
    assert abs(rated["llm_requests"] - (words["docs_in"] - words["dropped"])) <= 1
    assert abs(length["docs_in"] - rated["docs_in"]) <= 1
    assert any("step 'rated' asks a language model" in note for note in estimate["notes"])
    shown = subprocess.run([sys.executable, "-m", "juicer.cli", "plan", str(path), "--sample", "30"],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "asks a language model" in shown.stdout and server.requests == []
