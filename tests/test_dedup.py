"""Deduplication through the runner: clusters span shards, the result does not depend on
sharding or workers, and it equals the in-memory API's."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import juicer
from tests.conftest import read_output, write_recipe
from tests.operators.deduplicators.test_document_minhash_deduplicator import edited

MINHASH = {"op": "document_minhash_deduplicator",
           "params": {"num_permutations": 128, "num_bands": 16, "num_rows_per_band": 8}}
PIPELINE = [{"op": "document_deduplicator"}, MINHASH]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_rows) -> tuple[Path, list[dict]]:
    """The sample with near and exact copies of early documents planted far away, so that
    clusters cross shard boundaries."""
    rng = random.Random(11)
    rows = [dict(row) for row in sample_rows[:1200]]
    # long sources: a 1% edit keeps Jaccard near 0.9, where LSH misses 1 pair in 10,000
    long = [row["text"] for row in rows[:600] if len(row["text"].split()) >= 300]
    for k in range(30):
        source = long[k % len(long)]
        text = source if k % 3 == 0 else edited(source, 0.01, rng)
        rows.insert(rng.randrange(600, len(rows)), {"id": f"copy{k}", "text": text})
    path = tmp_path_factory.mktemp("dedup") / "planted.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path, rows


def run(directory: Path, path: Path, workers: int, pipeline=PIPELINE, **sections):
    recipe = write_recipe(directory, pipeline, paths=[path], **sections)
    return juicer.process(recipe, workers=workers, overwrite=True)


def same_outputs(a: str, b: str) -> None:
    for kind in ("data", "dropped"):
        files = sorted(p.name for p in (Path(a) / kind).iterdir())
        assert files == sorted(p.name for p in (Path(b) / kind).iterdir())
        for name in files:
            assert (Path(a) / kind / name).read_bytes() == (Path(b) / kind / name).read_bytes()


def test_same_clusters_and_bytes_whatever_the_sharding(tmp_path, corpus):
    path, rows = corpus
    whole = run(tmp_path / "one", path, 1)
    split = run(tmp_path / "many", path, 2, input_shard_size="256KB")
    assert split.report["executor"]["shards"] > 5
    same_outputs(whole.output, split.output)
    steps = {s["id"]: s for s in split.report["steps"]}
    assert steps["document_minhash_deduplicator"]["dedup"] == \
        {s["id"]: s for s in whole.report["steps"]}["document_minhash_deduplicator"]["dedup"]
    # every planted copy is found, across shards, and matches the in-memory API
    dropped = set(read_output(split.output, "dropped").column("id").to_pylist())
    assert {f"copy{k}" for k in range(30)} <= dropped
    in_memory = juicer.apply(rows, [juicer.operator("document_deduplicator"),
                                    juicer.operator(MINHASH["op"], **MINHASH["params"])],
                             detailed=True)
    assert dropped == {r["id"] for r in in_memory.dropped}


def test_line_substring_and_simhash_dedup_do_not_depend_on_sharding(tmp_path, corpus):
    path, rows = corpus
    pipeline = [{"op": "line_deduplicator"}, {"op": "substring_deduplicator"},
                {"op": "document_simhash_deduplicator"}]
    whole = run(tmp_path / "one", path, 1, pipeline=pipeline)
    split = run(tmp_path / "many", path, 2, pipeline=pipeline, input_shard_size="256KB")
    same_outputs(whole.output, split.output)
    lines = {s["id"]: s for s in split.report["steps"]}["line_deduplicator"]
    assert lines["changed_docs"] > 0 and lines["segments"]["most_repeated"]
    assert lines == {s["id"]: s for s in whole.report["steps"]}["line_deduplicator"] | {
        "seconds": lines["seconds"]}
    spans = {s["id"]: s for s in split.report["steps"]}["substring_deduplicator"]
    assert spans["changed_docs"] > 0 and spans["spans"]["removed_bytes"] > 0
    assert spans["spans"] == {s["id"]: s for s in whole.report["steps"]}[
        "substring_deduplicator"]["spans"]
    in_memory = juicer.apply(rows, [juicer.operator("line_deduplicator"),
                                    juicer.operator("substring_deduplicator"),
                                    juicer.operator("document_simhash_deduplicator")])
    assert read_output(split.output).column("text").to_pylist() == \
        [r["text"] for r in in_memory]


def test_report_has_clusters_samples_and_verification(tmp_path, corpus):
    path, _ = corpus
    report = run(tmp_path, path, 2, input_shard_size="512KB").report
    summary = {s["id"]: s for s in report["steps"]}["document_minhash_deduplicator"]["dedup"]
    assert summary["duplicates"] >= 20 and summary["clusters"] >= 1
    assert sum(int(size) * count for size, count in summary["cluster_sizes"].items()) == \
        summary["duplicates"] + summary["clusters"]
    largest = summary["largest_clusters"][0]
    assert largest["size"] >= 2 and all(largest["samples"])
    assert summary["verification"]["checked"] >= summary["duplicates"]
    assert report["accounting_ok"]


def test_annotate_mode_keeps_all_and_writes_cluster_stats(tmp_path, corpus):
    path, rows = corpus
    annotate = [{**MINHASH, "params": {**MINHASH["params"], "annotate": True}}]
    result = run(tmp_path, path, 2, pipeline=annotate, input_shard_size="512KB",
                 output_keep_stats=True)
    data = read_output(result.output)
    assert data.num_rows == len(rows) and result.report["dropped_docs"] == 0
    stats = [s["document_minhash_deduplicator"] for s in data.column("__stats__").to_pylist()]
    by_id = dict(zip(data.column("id").to_pylist(), stats))
    planted = by_id["copy1"]
    assert planted["dup_cluster_size"] >= 2
    members = [i for i, s in by_id.items() if s["dup_cluster"] == planted["dup_cluster"]]
    assert len(members) == planted["dup_cluster_size"]


def test_a_dedup_steps_seconds_count_its_signature_reduce_verify_and_cluster_work(tmp_path,
                                                                                 corpus):
    """`juicer plan` and the report's CPU column take a global step's seconds from here: the
    map phase in the shard tasks, and the reduce, verify and cluster tasks after them."""
    path, _ = corpus
    recipe = write_recipe(tmp_path, [MINHASH], paths=[path], input_shard_size="512KB")
    from juicer.engine.driver import process

    report = process(juicer.load_recipe(recipe), workers=2, keep_work=True).report
    markers = [json.loads(p.read_text()) for p in (tmp_path / "out" / "_work").rglob("*.done.json")]
    shard_seconds = [m["metrics"].get("document_minhash_deduplicator", {}).get("seconds", 0)
                     for m in markers if "metrics" in m]
    task_seconds = [m["seconds"] for m in markers if "metrics" not in m]
    assert all(s > 0 for s in task_seconds) and len(task_seconds) >= 3  # reduce, verify, clusters
    assert sum(1 for s in shard_seconds if s > 0) >= 4  # signatures, then decisions, per shard
    step = {s["id"]: s for s in report["steps"]}["document_minhash_deduplicator"]
    assert step["seconds"] == pytest.approx(sum(shard_seconds) + sum(task_seconds), abs=1e-3)


def test_report_shows_cluster_members_with_similarity_and_a_diff(tmp_path, corpus):
    """A reader can check a near-duplicate cluster: each member's row id and input file,
    its similarity to the kept document (the operator's own Jaccard) and a diff."""
    import numpy as np

    from juicer.report import html as report_html
    from juicer.core.registry import get

    path, _ = corpus
    result = run(tmp_path, path, 2, pipeline=[MINHASH], input_shard_size="512KB")
    summary = {s["id"]: s for s in result.report["steps"]}["document_minhash_deduplicator"]["dedup"]
    assert summary["similarity_measure"] == "document_minhash_deduplicator.similarity"
    operator = get("document_minhash_deduplicator")(MINHASH["params"])
    edited_members = 0
    for cluster in summary["largest_clusters"]:
        kept, *duplicates = cluster["members"]
        assert kept["row"] == cluster["kept_row"] and kept["similarity"] == 1.0
        assert duplicates and all(m["row"] > kept["row"] for m in duplicates)
        assert {m["file"] for m in cluster["members"]} == {str(path)}
        texts = [m["text"] for m in cluster["members"]]
        if all(len(t) < 1500 for t in texts):  # whole texts: the similarity is recomputable
            expected = operator.similarity(texts, np.zeros(len(texts), dtype=int),
                                           np.arange(len(texts)))
            assert [m["similarity"] for m in cluster["members"]] == \
                [round(float(v), 4) for v in expected]
        assert all(m["similarity"] >= operator.verify_threshold for m in duplicates)
        edited_members += sum(m["similarity"] < 1 for m in duplicates)
    assert edited_members  # the planted edited copies are among the shown members
    page = report_html.render(result.report)
    assert 'class="cluster"' in page and "<del>" in page and "similarity to the kept one" in page
