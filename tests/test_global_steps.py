"""The global-step kinds (juicer.engine.global_steps): which phases each runs, in what order, with
what, and that the runner and juicer.apply, which drive the same `finish`, give the same
documents and the same report figures."""
from __future__ import annotations

import gzip
import json

import pytest

import juicer
from juicer.engine import global_steps
from juicer.engine.global_steps import Output, finish, kind_of
from juicer.recipe import steps_from_operators
from tests.conftest import REPO, read_output, write_recipe
from tests.test_golden_outputs import GLOBAL_KINDS


class Recording:
    """A Phases driver that records each call and hands out canned tables: two reduce
    outputs (the second empty), two shard-pass outputs (the second empty)."""

    def __init__(self, reduced_rows: int = 3):
        self.calls: list[tuple] = []
        self.reduced_rows = reduced_rows

    def reduce(self, kind, step, decides):
        self.calls.append(("reduce", decides))
        return [Output("r0", self.reduced_rows, "note0"), Output("r1", 0, "note1")]

    def shard_pass(self, kind, step, tables, decides):
        self.calls.append(("shard_pass", tables, decides))
        return [Output("s0", 2, {"report": 0}), Output("s1", 0, {"report": 1})]

    def combine(self, kind, step, tables, reports):
        self.calls.append(("combine", tables, reports))
        return "clusters", {"summary": True}

    def texts_of(self, step):
        return lambda ids: []


def step_of(name: str, **params):
    return steps_from_operators([juicer.operator(name, **params)])[0]


@pytest.fixture
def summaries_echo(monkeypatch):
    """The kinds' summaries give back what they were handed, to see it."""
    for kind in (global_steps.SegmentDedup, global_steps.SpanDedup):
        monkeypatch.setattr(kind, "summary", lambda self, step, notes, reports, texts_of:
                            {"notes": notes, "reports": reports})


@pytest.mark.parametrize("name, params, reduced_rows, calls, decisions, summary", [
    # a selector decides in its reduce
    ("random_selector", {"select_ratio": 0.5}, 3, [("reduce", True)], ["r0", "r1"], None),
    # line and paragraph dedup decide in the reduce and summarize its notes
    ("line_deduplicator", {}, 3, [("reduce", True)], ["r0", "r1"],
     {"notes": ["note0", "note1"], "reports": []}),
    # a verifying deduplicator: the pairs with rows to the shard passes, their verified
    # pairs with rows and all their reports to the one combine
    ("document_minhash_deduplicator", {"verify": True}, 3,
     [("reduce", False), ("shard_pass", ["r0"], False),
      ("combine", ["s0"], [{"report": 0}, {"report": 1}])], ["clusters"], {"summary": True}),
    # no candidate pair at all: nothing to verify, straight to the clusters
    ("document_minhash_deduplicator", {"verify": True}, 0,
     [("reduce", False), ("combine", [], [])], ["clusters"], {"summary": True}),
    # without verification the reduce's pairs go to the combine
    ("document_minhash_deduplicator", {"verify": False}, 3,
     [("reduce", False), ("combine", ["r0"], [])], ["clusters"], {"summary": True}),
    # span dedup: its shard passes decide, also when no occurrence was found (each shard's
    # decisions and report exist)
    ("substring_deduplicator", {}, 3, [("reduce", False), ("shard_pass", ["r0"], True)],
     ["s0", "s1"], {"notes": ["note0", "note1"], "reports": [{"report": 0}, {"report": 1}]}),
    ("substring_deduplicator", {}, 0, [("reduce", False), ("shard_pass", [], True)],
     ["s0", "s1"], {"notes": ["note0", "note1"], "reports": [{"report": 0}, {"report": 1}]}),
])
def test_each_kind_runs_its_phases_in_order(summaries_echo, name, params, reduced_rows, calls,
                                             decisions, summary):
    phases = Recording(reduced_rows)
    assert finish(step_of(name, **params), phases) == (decisions, summary)
    assert phases.calls == calls


def test_every_global_operator_has_a_kind_and_an_empty_reduce_of_its_shape():
    """Each built-in global operator's kind gives, on no signatures, a table of the columns
    its later phases read."""
    from juicer.core import registry
    from juicer.core.operator import GlobalOperator

    kinds = {}
    for name in registry.names():
        operator_class = registry.get(name)
        if not issubclass(operator_class, GlobalOperator):
            continue
        step = step_of(name)
        kind = kind_of(step.operator)
        empty = kind.empty(step)
        assert empty.num_rows == 0 and "__row_id__" in empty.column_names, name
        kinds.setdefault(kind.name, []).append(name)
    assert set(kinds) == {"selection", "pairs", "segments", "spans"}


# not the random selector: it draws by row id, which the runner takes from the file offset
# and the API from the position
GLOBAL_PIPELINE = [step for step in GLOBAL_KINDS if step["op"] != "random_selector"]


def figures(step: dict) -> dict:
    """What a global step's report entry says, without the row ids (the runner's encode
    file and offset, the API's the position) and the samples that carry them."""
    shown = {"docs_in": step["docs_in"], "docs_out": step["docs_out"],
             "drops_by_rule": step["drops_by_rule"], "changed": step.get("changed_docs")}
    if "dedup" in step:
        shown["dedup"] = {key: step["dedup"][key] for key in
                          ("clusters", "duplicates", "cluster_sizes") if key in step["dedup"]}
        if "verification" in step["dedup"]:
            shown["verification"] = {key: step["dedup"]["verification"][key]
                                     for key in ("checked", "rejected")}
    if "spans" in step:
        shown["spans"] = {key: step["spans"][key] for key in ("spans", "removed_bytes")}
    if "segments" in step:
        shown["segments"] = step["segments"]["removed_segments"]
    return shown


def test_the_runner_and_apply_give_the_same_documents_and_figures(tmp_path):
    with gzip.open(REPO / "recipes/sample/web_docs_sample.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f][:600]
    rows += [dict(row, id=f"copy-{row['id']}") for row in rows[:40]]  # exact copies
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    recipe = write_recipe(tmp_path, GLOBAL_PIPELINE, paths=[path], input_shard_size="256KB")
    run = juicer.process(recipe, workers=2, overwrite=True)
    assert run.report["executor"]["shards"] > 3
    in_memory = juicer.apply(rows, GLOBAL_PIPELINE, detailed=True)
    kept = read_output(run.output)
    assert kept.column("id").to_pylist() == [row["id"] for row in in_memory.kept]
    assert kept.column("text").to_pylist() == [row["text"] for row in in_memory.kept]
    dropped = read_output(run.output, "dropped")
    assert sorted(zip(dropped.column("id").to_pylist(),
                      dropped.column("__drop_reason__").to_pylist())) == \
        sorted((row["id"], row["__drop_reason__"]) for row in in_memory.dropped)
    # every copy goes, by the words filter with its original or as a duplicate
    assert {row["id"] for row in rows[-40:]} <= set(dropped.column("id").to_pylist())
    by_id = {step["id"]: step for step in in_memory.steps}
    changed = {step["id"]: figures(step) for step in run.report["steps"]}
    assert changed["line_deduplicator"]["segments"] and changed["substring_deduplicator"]["spans"]["spans"]
    for step in run.report["steps"]:
        assert figures(step) == figures(by_id[step["id"]]), step["id"]
