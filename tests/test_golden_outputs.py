"""Golden outputs: every shipped recipe, and one run of each global-step kind on Dask and Ray,
produce exactly the outputs recorded in tests/golden_outputs.json.

They guard behaviour through restructurings of the engine: a change that alters any kept,
dropped or quarantined row, any field, or any number in report.json shows here, naming the
file. A change that is meant to alter output rewrites the record:

    JUICER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_outputs.py

and the diff of tests/golden_outputs.json goes into the commit that explains it.

Parquet and Arrow files are compared by content (schema with its metadata, then the rows),
not by bytes, so a new pyarrow writing another `created_by` does not fail the suite;
byte-identity across executors is tests/test_executors.py's concern."""
from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import REPO

GOLDEN = Path(__file__).with_name("golden_outputs.json")
RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))
# what differs between two runs of the same recipe and input: time, memory, where it ran,
# and the input files' modification times (a fresh clone has new ones)
VOLATILE = {"seconds", "started_at", "peak_worker_rss", "input_fingerprint"}
VOLATILE_EXECUTOR = {"kind", "workers"}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def _table_digest(table: pa.Table) -> str:
    sink = io.BytesIO()
    table = table.combine_chunks()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return _digest(sink.getvalue())


def _scrub(value, places: dict[str, str]):
    if isinstance(value, dict):
        return {key: _scrub(item, places) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_scrub(item, places) for item in value]
    if isinstance(value, str):
        for place, name in places.items():
            value = value.replace(place, name)
    return value


def fingerprint(out: Path, *places: Path | str) -> dict[str, str]:
    """One digest per output file, with run-specific paths, times and memory taken out."""
    names = {str(out): "<output>", **{str(p): f"<place{i}>" for i, p in enumerate(places)},
             str(REPO): "<repo>"}
    digests = {}
    for path in sorted(p for kind in ("data", "dropped", "quarantine")
                       for p in (out / kind).rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        if path.suffix == ".parquet":
            digests[name] = _table_digest(pq.read_table(path))
        elif path.suffix == ".arrow":
            digests[name] = _table_digest(pa.ipc.open_file(pa.memory_map(str(path))).read_all())
        else:
            digests[name] = _digest(path.read_bytes())
    report = _scrub(json.loads((out / "report.json").read_text("utf-8")), names)
    for key in VOLATILE_EXECUTOR:
        report["executor"].pop(key, None)
    report.pop("output", None)
    digests["report.json"] = _digest(json.dumps(report, sort_keys=True).encode())
    resolved = _scrub(yaml.safe_load((out / "recipe.resolved.yaml").read_text("utf-8")), names)
    for key in VOLATILE_EXECUTOR:
        resolved.get("executor", {}).pop(key, None)
    digests["recipe.resolved.yaml"] = _digest(json.dumps(resolved, sort_keys=True).encode())
    return digests


def check(case: str, digests: dict[str, str]) -> None:
    recorded = json.loads(GOLDEN.read_text("utf-8")) if GOLDEN.exists() else {}
    if os.environ.get("JUICER_UPDATE_GOLDEN"):
        recorded[case] = digests
        GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", "utf-8")
        return
    assert case in recorded, f"no golden record for {case}: run with JUICER_UPDATE_GOLDEN=1"
    expected = recorded[case]
    changed = sorted(name for name in set(expected) | set(digests)
                     if expected.get(name) != digests.get(name))
    assert not changed, f"{case}: these outputs changed: {changed}"


def _case(path: Path) -> str:
    return str(path.relative_to(REPO / "recipes"))


@pytest.mark.parametrize("path", RECIPES, ids=_case)
def test_shipped_recipe_output_is_unchanged(path, shipped_run, news_lm, request):
    recipe = yaml.safe_load(path.read_text("utf-8"))
    overrides, places = (), [news_lm]
    if path.name == "web_models.yaml":  # its perplexity model is one the user trains first
        steps = [step["op"] for step in recipe["pipeline"]]
        overrides = (f"pipeline.{steps.index('perplexity_filter')}.params.model_path={news_lm}",)
    if "llm" in recipe:  # the user's endpoint: here the scripted one on loopback
        url = request.getfixturevalue("llm_server").url
        overrides, places = (f"llm.base_url={url}",), [news_lm, url]
    out = shipped_run(path, *overrides)
    check(_case(path), fingerprint(out, *places))


# one step of every global kind: pair dedup, segment dedup, span dedup, selectors
GLOBAL_KINDS = [
    {"op": "whitespace_normalization_mapper"},
    {"op": "words_num_filter", "params": {"min_num": 20}},
    {"op": "document_simhash_deduplicator"},
    {"op": "document_minhash_deduplicator"},
    {"op": "line_deduplicator", "params": {"frequency_threshold": 3}},
    {"op": "paragraph_deduplicator", "params": {"frequency_threshold": 2}},
    {"op": "substring_deduplicator", "params": {"length_threshold": 150}},
    {"op": "topk_specified_field_selector",
     "params": {"field_key": "__stats__.words_num_filter.num_words", "top_ratio": 0.8}},
    {"op": "random_selector", "params": {"select_ratio": 0.9}},
]


@pytest.fixture(scope="module")
def global_kinds_recipe(tmp_path_factory, split_jsonl):
    from tests.conftest import write_recipe

    return write_recipe(tmp_path_factory.mktemp("global_kinds"), GLOBAL_KINDS, paths=split_jsonl,
                        input_shard_size="1MB")


@pytest.mark.parametrize("executor", ["local", pytest.param("dask", marks=pytest.mark.cluster),
                                      pytest.param("ray", marks=pytest.mark.cluster)])
def test_every_global_kind_gives_the_recorded_output(executor, global_kinds_recipe, shipped_run,
                                                     split_jsonl):
    out = shipped_run(global_kinds_recipe, f"executor.kind={executor}", "executor.workers=2")
    check("global_kinds", fingerprint(out, global_kinds_recipe.parent, split_jsonl[0].parent))
