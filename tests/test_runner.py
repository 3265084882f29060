"""End-to-end runs of the local runner on real data: outputs, accounting, determinism,
quarantine, input formats."""
import collections
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
import zstandard

import juicer
from juicer.errors import JuicerError
from tests.conftest import DATA, REPO, read_output, write_recipe

PIPELINE = [
    {"op": "whitespace_normalization_mapper"},
    {"op": "text_length_filter", "params": {"min_len": 200}},
    {"op": "words_num_filter", "params": {"min_num": 30}},
    {"op": "special_characters_filter", "params": {"max_ratio": 0.3}},
    {"op": "document_deduplicator", "params": {"lowercase": True}},
    {"op": "maximum_line_length_filter", "params": {"max_len": 5000}},
    {"op": "random_selector", "params": {"select_ratio": 0.9}},
]


def run(tmp_path, paths, pipeline=PIPELINE, workers=1, output="out", overrides=(), **sections):
    recipe = write_recipe(tmp_path, pipeline, paths=paths, output=output, **sections)
    result = juicer.process(recipe, workers=workers, overwrite=True, overrides=overrides)
    return result


def output_files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for kind in ("data", "dropped", "quarantine") for p in sorted((directory / kind).glob("*"))}


def test_outputs_and_report_add_up(tmp_path, split_jsonl):
    result = run(tmp_path, split_jsonl, workers=2, output_shard_rows=500)
    out, report = Path(result.output), result.report
    assert sorted(os.listdir(out)) == [".juicer-output.json", "data", "dropped", "quarantine", "recipe.resolved.yaml",
                                       "report.html", "report.json"]
    assert json.loads((out / "report.json").read_text()) == report
    assert report["input_docs"] == 2500 and report["quarantined_docs"] == 0
    assert report["kept_docs"] + report["dropped_docs"] == 2500 and report["accounting_ok"]
    data, dropped = read_output(out, "data"), read_output(out, "dropped")
    assert data.num_rows == report["kept_docs"] and dropped.num_rows == report["dropped_docs"]
    assert [len(pq.read_table(f)) for f in sorted((out / "data").glob("*"))][:-1] == \
        [500] * (len(report["files"]["data"]) - 1)
    # original fields carried, internal columns gone from data/
    assert data.column_names == ["id", "source", "url", "lang", "lang_score", "text",
                                 "quality_label"]
    # steps chain: each step's input is the previous step's output
    steps = report["steps"]
    assert steps[0]["docs_in"] == 2500
    for before, after in zip(steps, steps[1:]):
        assert after["docs_in"] == before["docs_out"]
    assert steps[-1]["docs_out"] == report["kept_docs"]
    # every drop reason in dropped/ matches the per-rule counts of the report
    reasons = collections.Counter(dropped.column("__drop_reason__").to_pylist())
    from_report = {f"{s['id']}:{rule}": n for s in steps for rule, n in s["drops_by_rule"].items()}
    assert reasons == from_report
    assert report["steps"][4]["dedup"]["duplicates"] == from_report.get(
        "document_deduplicator:duplicate")
    # stat summaries for every filter, over all documents the filter saw
    length = steps[1]["stats"]["text_len"]
    assert length["count"] == 2500 and length["min"] <= length["quantiles"]["p50"] <= length["max"]
    assert sum(length["histogram"]["all"]) == 2500
    assert sum(length["histogram"]["kept"]) == steps[1]["docs_out"]
    resolved = yaml.safe_load((out / "recipe.resolved.yaml").read_text())
    assert resolved["juicer_version"] == juicer.__version__ and resolved["input_fingerprint"]


def test_kept_documents_are_the_ones_the_python_api_keeps(tmp_path, split_jsonl, sample_rows):
    # without the random selector: its sample hashes row ids, which are byte offsets in
    # files and list positions in memory
    result = run(tmp_path, split_jsonl, PIPELINE[:-1])
    on_disk = read_output(Path(result.output), "data").column("id").to_pylist()
    rows = [row for part in range(3) for row in sample_rows[part::3]]  # file order
    in_memory = [row["id"] for row in juicer.apply(rows, PIPELINE[:-1])]
    assert on_disk == in_memory


def test_output_is_byte_identical_across_workers_and_shard_sizes(tmp_path, split_jsonl):
    one = run(tmp_path / "a", split_jsonl, workers=1)
    many = run(tmp_path / "b", split_jsonl, workers=2, input_shard_size="300KB")
    assert many.report["executor"]["shards"] > 3 > one.report["executor"]["shards"] - 1
    first, second = output_files(Path(one.output)), output_files(Path(many.output))
    assert first.keys() == second.keys() and first == second
    assert one.report["steps"][1]["stats"] == many.report["steps"][1]["stats"]
    # the report's samples are picked by row id, not by where shards begin
    assert [s["samples"] for s in one.report["steps"]] == [s["samples"] for s in many.report["steps"]]
    assert one.report["kept_samples"] == many.report["kept_samples"]
    assert len(one.report["kept_samples"]) == 20


def test_reduce_partitions_follow_the_input_size_and_the_recipe():
    from juicer.io.shards import Piece, Shard
    from juicer.engine.driver import PARTITION_INPUT_BYTES, reduce_partitions

    def shards(count, size):
        return [Shard(i, [Piece(i, "f.jsonl", "jsonl", 0, size, size)]) for i in range(count)]

    assert reduce_partitions(shards(3, 1000)) == 3
    assert reduce_partitions(shards(500, 1000)) == 64
    assert reduce_partitions(shards(1000, PARTITION_INPUT_BYTES // 4)) == 250
    assert reduce_partitions(shards(3, 1000), configured=7) == 7


def test_output_does_not_depend_on_the_reduce_partitions(tmp_path, split_jsonl):
    pipeline = [{"op": "document_deduplicator", "params": {"lowercase": True}},
                {"op": "document_minhash_deduplicator"},
                {"op": "random_selector", "params": {"select_ratio": 0.9}}]
    default = run(tmp_path / "a", split_jsonl, pipeline=pipeline, workers=2,
                  input_shard_size="300KB")
    many = run(tmp_path / "b", split_jsonl, pipeline=pipeline, workers=2,
               input_shard_size="300KB", executor_partitions=11)
    assert (default.report["executor"]["partitions"], many.report["executor"]["partitions"]) \
        == (default.report["executor"]["shards"], 11)
    assert output_files(Path(default.output)) == output_files(Path(many.output))
    assert default.report["dropped_docs"] == many.report["dropped_docs"] > 0


def test_compressed_inputs_give_the_same_output(tmp_path, split_jsonl):
    import gzip

    compressed = []
    for index, path in enumerate(split_jsonl):
        raw = path.read_bytes()
        target = tmp_path / (f"web-{index}.jsonl.zst" if index % 2 else f"web-{index}.jsonl.gz")
        target.write_bytes(zstandard.ZstdCompressor().compress(raw) if index % 2
                           else gzip.compress(raw))
        compressed.append(target)
    plain = run(tmp_path / "plain", split_jsonl)
    packed = run(tmp_path / "packed", compressed, workers=2)
    assert output_files(Path(plain.output)) == output_files(Path(packed.output))


def test_parquet_input_split_by_row_groups(tmp_path, sample_rows):
    path = tmp_path / "web.parquet"
    pq.write_table(pa.Table.from_pylist(sample_rows), path, row_group_size=300)
    whole = run(tmp_path / "a", [path])
    split = run(tmp_path / "b", [path], workers=2, input_shard_size="1MB")
    assert split.report["executor"]["shards"] > 1
    assert output_files(Path(whole.output)) == output_files(Path(split.output))
    assert whole.report["input_docs"] == 2500


def test_bad_records_are_quarantined_with_their_location(tmp_path):
    result = run(tmp_path, [DATA / "bad_records.jsonl"],
                 [{"op": "text_length_filter", "params": {"min_len": 40}}], output_format="jsonl")
    report = result.report
    assert (report["input_docs"], report["kept_docs"], report["dropped_docs"],
            report["quarantined_docs"]) == (10, 2, 2, 6)
    rows = [json.loads(line) for line in
            open(Path(result.output) / "quarantine" / "part-00000.jsonl", encoding="utf-8")]
    path = str(DATA / "bad_records.jsonl")
    assert [(r["file"], r["line"], r["error"].split(" (")[0]) for r in rows] == [
        (path, 2, "invalid JSON: Unterminated string starting at"),
        (path, 4, "missing field 'text'"),
        (path, 5, "field 'text' is null"),
        (path, 6, "field 'text' is int, not a string"),
        (path, 7, "a line must hold a JSON object, not list"),
        (path, 10, "invalid UTF-8 at byte 34 of the line"),
    ]
    assert rows[0]["raw"] == '{"id": "bad-json-2", "text": "an unterminated string}'
    assert report["quarantine"]["by_file"] == {path: 6}
    kept = [json.loads(line)["id"] for line in
            open(Path(result.output) / "data" / "part-00000.jsonl", encoding="utf-8")]
    assert kept == ["ok-1", "ok-3"]


def test_bad_records_in_a_shard_split_mid_file(tmp_path, split_jsonl):
    """Line numbers stay right when the bad line lies in a later byte-range shard."""
    rows = split_jsonl[0].read_text(encoding="utf-8").split("\n")[:-1]  # texts hold U+2028
    rows[600] = '{"id": "broken", "text": '
    path = tmp_path / "with_bad_line.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run(tmp_path, [path], [{"op": "text_length_filter"}], workers=2,
                 input_shard_size="200KB")
    assert result.report["executor"]["shards"] > 3
    quarantine = read_output(Path(result.output), "quarantine").to_pylist()
    assert [(q["line"], q["error"].split(":")[0]) for q in quarantine] == [(601, "invalid JSON")]
    assert result.report["input_docs"] == len(rows)


def test_truncated_compressed_file_is_reported_not_lost(tmp_path, split_jsonl):
    import gzip

    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(split_jsonl[0].read_bytes())
    path.write_bytes(data[: len(data) // 2])
    result = run(tmp_path, [path], [{"op": "text_length_filter"}])
    report = result.report
    assert report["accounting_ok"] and report["quarantined_docs"] == 1
    assert report["kept_docs"] + report["dropped_docs"] > 100
    error = read_output(Path(result.output), "quarantine").column("error")[0].as_py()
    assert error.startswith("the compressed stream is damaged after byte")
    assert "the file ends inside compressed data (truncated)" in error


def test_existing_output_is_not_overwritten_without_asking(tmp_path, split_jsonl):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter"}], paths=split_jsonl[:1])
    juicer.process(recipe)
    with pytest.raises(JuicerError, match="--overwrite"):
        juicer.process(recipe)
    juicer.process(recipe, overwrite=True)


def test_missing_input_is_a_clear_error(tmp_path):
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter"}], paths=[tmp_path / "nope*.jsonl"])
    with pytest.raises(JuicerError, match="nope"):
        juicer.process(recipe)


def test_data_juicer_recipe_runs_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipes").symlink_to(REPO / "recipes")
    result = juicer.process(REPO / "recipes" / "data_juicer_style.yaml")
    out = Path(result.output)
    assert out == tmp_path / "output" / "data_juicer_style" / "result"
    assert result.report["accounting_ok"] and result.report["kept_docs"] > 1000
    assert (out / "data" / "part-00000.jsonl").exists()
    assert result.report["executor"]["workers"] == 2


def test_a_field_with_two_types_quarantines_the_later_record_with_the_reason(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "first document", "score": 1}\n'
                    '{"text": "second document", "score": "high"}\n')
    result = run(tmp_path, [path], [{"op": "text_length_filter"}])
    assert result.report["kept_docs"] == 1 and result.report["quarantined_docs"] == 1
    bad = pq.read_table(next((tmp_path / "out" / "quarantine").glob("*"))).to_pylist()[0]
    assert bad["line"] == 2 and bad["error"].startswith(
        "field 'score' is a string here but a number in an earlier record")


CHUNKING = [
    {"op": "text_chunk_mapper", "params": {"max_len": 600, "split_pattern": "\n",
                                           "chunk_index_key": "chunk"}},
    {"op": "text_length_filter", "params": {"min_len": 100}},
    {"op": "document_deduplicator"},
    {"op": "document_minhash_deduplicator"},
]


def test_chunked_documents_are_accounted_and_identical_across_workers(tmp_path, split_jsonl):
    one = run(tmp_path / "a", split_jsonl, pipeline=CHUNKING, workers=1)
    many = run(tmp_path / "b", split_jsonl, pipeline=CHUNKING, workers=2, input_shard_size="300KB")
    report = one.report
    assert report["split_docs"] > 2500 and report["accounting_ok"]
    assert report["input_docs"] + report["split_docs"] == \
        report["kept_docs"] + report["dropped_docs"] + report["quarantined_docs"]
    assert output_files(Path(one.output)) == output_files(Path(many.output))
    kept = read_output(Path(one.output), "data")
    assert max(len(t) for t in kept.column("text").to_pylist()) <= 600
    # chunks follow their documents, in order (ids are document id + chunk index)
    pairs = list(zip(kept.column("id").to_pylist(), kept.column("chunk").to_pylist()))
    order = {row_id: i for i, row_id in enumerate(dict.fromkeys(p[0] for p in pairs))}
    assert pairs == sorted(pairs, key=lambda p: (order[p[0]], p[1]))


def test_chunked_parquet_rows_get_distinct_ids(tmp_path, sample_rows):
    path = tmp_path / "web.parquet"
    pq.write_table(pa.Table.from_pylist(sample_rows), path, row_group_size=300)
    result = run(tmp_path / "p", [path], pipeline=CHUNKING[:1] + [{"op": "document_deduplicator"}])
    report = result.report
    assert report["accounting_ok"] and report["split_docs"] > 2500
    kept = read_output(Path(result.output), "data")
    dropped = read_output(Path(result.output), "dropped")
    assert kept.num_rows + dropped.num_rows == 2500 + report["split_docs"]


def test_a_run_writes_only_under_its_output_path(tmp_path, split_jsonl, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path in split_jsonl:
        (inputs / path.name).write_bytes(path.read_bytes())
    recipe = write_recipe(tmp_path, [{"op": "text_length_filter", "params": {"min_len": 100}},
                                     {"op": "document_minhash_deduplicator"}],
                          paths=sorted(inputs.iterdir()), input_shard_size="1MB")
    monkeypatch.chdir(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    juicer.process(recipe, workers=2)
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.is_relative_to(tmp_path / "out") for p in created)


def test_progress_inside_a_shard_and_why_workers_wait(tmp_path):
    """A single large .jsonl.gz is one shard: the progress line still moves (documents and
    bytes read, rate, time left, about once a second), and the run says why the other
    worker waits."""
    import gzip
    import re

    from tests.conftest import SAMPLE

    big = tmp_path / "big.jsonl.gz"
    # four copies of the sample: a shard task of several seconds, so that the driver's
    # once-a-second look finds it running with documents counted
    big.write_bytes(gzip.compress(gzip.decompress(SAMPLE.read_bytes()) * 4, compresslevel=1))

    class Progress:
        def __init__(self):
            self.bars, self.details, self.notes = [], [], []

        def __call__(self, label, done, total):
            self.bars.append((label, done, total))

        def detail(self, text):
            self.details.append(text)

        def note(self, text):
            self.notes.append(text)

    progress = Progress()
    recipe = juicer.load_recipe({
        "input": {"paths": [str(big)], "batch_size": 250, "shard_size": "4MB"},
        "output": {"path": str(tmp_path / "out")},
        "pipeline": [{"op": "fix_unicode_mapper"},
                     {"op": "text_length_filter", "params": {"min_len": 100}}]})
    result = juicer.process(recipe, workers=2, progress=progress)
    assert ("stage 1/1", 0, 1) in progress.bars and ("stage 1/1", 1, 1) in progress.bars
    assert progress.details, "no progress inside the shard"
    compressed = big.stat().st_size
    for text in progress.details:
        match = re.match(r"(?:([\d,]+) docs in running shards · )?([\d.,]+) (KB|MB) of "
                         r"([\d.,]+) MB · [\d.,]+ (B|KB|MB)/s · ETA ", text)
        assert match, text
        assert int((match.group(1) or "0").replace(",", "")) <= 10_000
    assert any("docs in running shards" in text for text in progress.details)
    assert float(text.split(" of ")[1].split(" MB")[0]) == round(compressed / 1e6, 1)
    assert len(progress.notes) == 1 and "big.jsonl.gz is one compressed stream" in \
        progress.notes[0]
    assert progress.notes[0] in result.report["notes"]
    # the progress files are gone with the intermediates; one shard: the files were a view
    assert not (tmp_path / "out" / "_work").exists()
