"""Hostile input, file by file: every record ends up kept with its fields unchanged, or
quarantined with its file, line (or row) and a reason naming the field; the counts add
up and the run goes on (issue 24)."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import juicer
from tests.conftest import read_output, write_recipe

KEEP_ALL = [{"op": "text_length_filter", "params": {"min_len": 0}}]


def process(tmp_path: Path, paths, output_format="jsonl", **sections):
    recipe = write_recipe(tmp_path, KEEP_ALL, paths=paths, output="out",
                          output_format=output_format, **sections)
    result = juicer.process(recipe, overwrite=True)
    report = result.report
    assert report["input_docs"] == report["kept_docs"] + report["dropped_docs"] + \
        report["quarantined_docs"]
    return report, kept_records(tmp_path / "out"), quarantined(tmp_path / "out")


def kept_records(out: Path) -> list[dict]:
    """data/ as Python values, parsed from the JSONL text (what a user's reader sees)."""
    return [json.loads(line) for part in sorted((out / "data").glob("*.jsonl"))
            for line in part.read_text(encoding="utf-8").split("\n") if line]


def quarantined(out: Path) -> list[dict]:
    table = read_output(out, "quarantine")
    return [] if table is None else table.to_pylist()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- JSONL values


@pytest.mark.parametrize("bad_line", ["{not json", '{"text": "dup", "text": "twice"}',
                                      '{"text": "x", "v": 1e400}'])
def test_a_field_the_first_record_lacks_survives_the_line_by_line_path(tmp_path, bad_line):
    # one bad line sends its block to the line-by-line path; fields come from every record
    path = write_lines(tmp_path / "in.jsonl", [
        '{"text": "first", "a": 1}', '{"text": "second", "b": "only here"}', bad_line,
        '{"text": "third", "c": {"deep": [1, 2]}}'])
    report, kept, bad = process(tmp_path, [path])
    assert [r["text"] for r in kept] == ["first", "second", "third"]
    assert kept[1]["b"] == "only here" and kept[2]["c"] == {"deep": [1, 2]}
    assert kept[0]["a"] == 1 and isinstance(kept[0]["a"], int)
    assert len(bad) == 1 and bad[0]["line"] == 3


def test_integers_past_int64_round_trip_and_wider_ones_are_quarantined(tmp_path):
    hash_ids = [2**64 - 1, 2**63, 2**63 + 1]  # distinct ids that a float would merge
    lines = [json.dumps({"text": f"doc {i}", "id": v}) for i, v in enumerate(hash_ids)]
    lines.append('{"text": "huge", "id": 123456789012345678901234567890}')
    path = write_lines(tmp_path / "in.jsonl", lines)
    report, kept, bad = process(tmp_path, [path])
    assert [r["id"] for r in kept] == hash_ids
    assert len(bad) == 1 and bad[0]["line"] == 4
    assert "field 'id' holds the integer 123456789012345678901234567890, outside 64 bits" \
        in bad[0]["error"]


def test_a_big_integer_among_fractions_is_quarantined_not_rounded(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [
        '{"text": "a", "v": 1.5}', '{"text": "b", "v": 2}',
        '{"text": "c", "v": 9007199254740993}'])  # 2**53 + 1: no double holds it
    report, kept, bad = process(tmp_path, [path])
    assert [r["v"] for r in kept] == [1.5, 2]
    assert [q["line"] for q in bad] == [3] and "field 'v'" in bad[0]["error"]


@pytest.mark.parametrize("literal, reason", [
    ("NaN", "NaN, which is not a JSON number"),
    ("Infinity", "Infinity or a number beyond float range"),
    ("-Infinity", "Infinity or a number beyond float range"),
    ("1e400", "Infinity or a number beyond float range")])
def test_non_finite_numbers_are_quarantined_not_nulled(tmp_path, literal, reason):
    path = write_lines(tmp_path / "in.jsonl", [
        '{"text": "fine", "v": 0.25}', '{"text": "odd", "v": %s}' % literal])
    report, kept, bad = process(tmp_path, [path])
    assert kept == [{"text": "fine", "v": 0.25}]
    assert bad[0]["line"] == 2 and reason in bad[0]["error"] and "'v'" in bad[0]["error"]


@pytest.mark.parametrize("line", ['{"text": "a\\ud800b"}', '{"text": "ok", "m": {"k": "\\udfff"}}',
                                  '{"text": "ok", "\\ud800": 1}'])
def test_a_lone_surrogate_anywhere_is_quarantined_and_the_run_goes_on(tmp_path, line):
    path = write_lines(tmp_path / "in.jsonl", [
        line, '{"text": "emoji \\ud83d\\ude00 is a valid pair"}'])
    report, kept, bad = process(tmp_path, [path])
    assert kept == [{"text": "emoji 😀 is a valid pair"}]
    assert bad[0]["line"] == 1 and "lone surrogate" in bad[0]["error"]


@pytest.mark.parametrize("depth", [150, 1_000, 100_000])
def test_deep_nesting_is_quarantined_without_crashing_the_worker(tmp_path, depth):
    # Arrow's JSON parser recurses and kills the process past some ten thousand levels
    deep = '{"text": "deep", "v": ' + "[" * depth + "]" * depth + "}"
    fine = '{"text": "fine", "v": ' + "[" * 50 + "]" * 50 + "}"
    path = write_lines(tmp_path / "in.jsonl", [fine, deep, '{"text": "after"}'])
    report, kept, bad = process(tmp_path, [path])
    assert [r["text"] for r in kept] == ["fine", "after"]
    assert bad[0]["line"] == 2 and "nested deeper than 100 levels" in bad[0]["error"]


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [json.dumps({"text": "[" * 5000 + "{" * 5000})])
    report, kept, bad = process(tmp_path, [path])
    assert len(kept) == 1 and not bad


def test_a_duplicate_key_is_quarantined_not_resolved_silently(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", ['{"text": "a", "id": 1, "id": 2}', '{"text": "b"}'])
    report, kept, bad = process(tmp_path, [path])
    assert kept == [{"text": "b"}]
    assert "key 'id' appears twice" in bad[0]["error"]


# ---------------------------------------------------------------- table formats


def _invalid_utf8_strings() -> pa.Array:
    offsets = pa.array([0, 2, 6], pa.int32()).buffers()[1]
    return pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"okno\xff\xfe")])


def _write_table(path: Path, table: pa.Table) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        with pa.ipc.new_file(str(path), table.schema) as writer:
            writer.write_table(table)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
@pytest.mark.parametrize("text, reason", [
    (pa.array([1, 2]), "field 'text' is int64, not a string"),
    (pa.array([1.5, 2.5]), "field 'text' is double, not a string"),
    (pa.array([True, False]), "field 'text' is bool, not a string"),
    (pa.array([{"a": "x"}, {"a": "y"}]), "field 'text' is struct<a: string>, not a string"),
    (pa.array([["x"], ["y"]]), "not a string"),
    (pa.nulls(2), "field 'text' is null, not a string"),
    (None, "missing field 'text'"),
])
def test_a_table_whose_text_is_not_a_string_quarantines_its_rows(tmp_path, suffix, text, reason):
    good = _write_table(tmp_path / f"good{suffix}", pa.table({"text": ["kept one", "kept two"]}))
    columns = {"id": [1, 2]} if text is None else {"text": text, "id": [1, 2]}
    bad = _write_table(tmp_path / f"bad{suffix}", pa.table(columns))
    report, kept, entries = process(tmp_path, [bad, good])
    assert [r["text"] for r in kept] == ["kept one", "kept two"]
    assert [(e["row"], e["file"].endswith(f"bad{suffix}")) for e in entries] == \
        [(0, True), (1, True)]
    assert all(reason in e["error"] for e in entries)


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_dictionary_encoded_text_is_read_as_text(tmp_path, suffix):
    texts = pa.array(["alpha", "beta", "alpha"]).dictionary_encode()
    path = _write_table(tmp_path / f"dict{suffix}", pa.table({"text": texts}))
    report, kept, bad = process(tmp_path, [path])
    assert [r["text"] for r in kept] == ["alpha", "beta", "alpha"] and not bad


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
@pytest.mark.parametrize("column", ["text", "meta"])
def test_invalid_utf8_in_any_string_column_is_quarantined(tmp_path, suffix, column):
    strings = _invalid_utf8_strings()
    table = pa.table({"text": strings, "meta": ["m1", "m2"]}) if column == "text" else \
        pa.table({"text": ["t1", "t2"], "meta": strings})
    path = _write_table(tmp_path / f"bad{suffix}", table)
    for output_format in ("jsonl", "parquet"):
        report, _, bad = process(tmp_path, [path], output_format=output_format)
        assert report["kept_docs"] == 1 and [e["row"] for e in bad] == [1]
        assert f"field '{column}' is not valid UTF-8" in bad[0]["error"]
        for part in (tmp_path / "out" / "data").glob("*.parquet"):
            pq.read_table(part).validate(full=True)


def test_csv_values_that_are_not_utf8_quarantine_their_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"text,meta\nfine,ok\nalso fine,caf\xe9\n")
    report, kept, bad = process(tmp_path, [path])
    assert kept == [{"text": "fine", "meta": "ok"}]
    assert bad[0]["row"] == 1 and "field 'meta' is not valid UTF-8" in bad[0]["error"]


def test_a_binary_field_is_written_to_jsonl_as_base64(tmp_path):
    path = _write_table(tmp_path / "in.parquet",
                        pa.table({"text": ["a"], "blob": pa.array([b"\x00\xff"])}))
    report, kept, bad = process(tmp_path, [path])
    assert kept == [{"text": "a", "blob": "AP8="}]


# ---------------------------------------------------------------- damaged files


def _jsonl_bytes(count: int) -> bytes:
    return "".join(json.dumps({"text": f"document {i} " * 30}) + "\n"
                   for i in range(count)).encode()


@pytest.mark.parametrize("suffix", [".jsonl.zst", ".jsonl.gz"])
def test_a_truncated_compressed_file_keeps_every_whole_line_and_quarantines_the_cut(
        tmp_path, suffix):
    import gzip

    import zstandard

    data = _jsonl_bytes(3000)
    packed = gzip.compress(data) if suffix.endswith(".gz") else \
        zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(packed[:len(packed) // 2])
    report, kept, bad = process(tmp_path, [path])
    assert 1000 < len(kept) < 3000
    assert [r["text"] for r in kept] == [json.loads(l)["text"]
                                         for l in data.splitlines()[:len(kept)]]
    assert len(bad) == 1 and "truncated" in bad[0]["error"] and bad[0]["file"] == str(path)
    assert report["input_docs"] == len(kept) + 1


def test_garbage_after_a_gzip_stream_loses_no_line_before_it(tmp_path):
    import gzip

    data = _jsonl_bytes(2000)
    path = tmp_path / "trailing.jsonl.gz"
    path.write_bytes(gzip.compress(data) + b"these bytes are not gzip")
    report, kept, bad = process(tmp_path, [path])
    assert len(kept) == 2000
    assert len(bad) == 1 and "not gzip data" in bad[0]["error"]


def test_concatenated_gzip_members_and_zero_padding_are_whole(tmp_path):
    import gzip

    data = _jsonl_bytes(100)
    path = tmp_path / "members.jsonl.gz"
    path.write_bytes(gzip.compress(data[:5000]) + gzip.compress(data[5000:]) + b"\0" * 512)
    report, kept, bad = process(tmp_path, [path])
    assert len(kept) == 100 and not bad


def _warc_record(uri: str, body: bytes) -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Record-ID: <urn:uuid:{uri[-1]}0000000-0000-0000-0000-000000000000>\r\n"
            "WARC-Date: 2020-01-01T00:00:00Z\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode()
    return head + http + b"\r\n\r\n"


def _warc(count: int = 5) -> list[bytes]:
    return [_warc_record(f"http://example.com/{i}", f"<p>page {i} text</p>".encode() * 5)
            for i in range(count)]


def test_a_truncated_warc_quarantines_the_cut_record(tmp_path):
    path = tmp_path / "cut.warc"
    path.write_bytes(b"".join(_warc())[:-60])
    report, kept, bad = process(tmp_path, [path])
    assert [r["url"] for r in kept] == [f"http://example.com/{i}" for i in range(4)]
    assert len(bad) == 1 and "http://example.com/4" in bad[0]["error"] and \
        "runs past the end of the file" in bad[0]["error"]


def test_a_warc_content_length_past_its_record_does_not_swallow_silently(tmp_path):
    records = _warc()
    records[2] = records[2].replace(b"Content-Length: ", b"Content-Length: 9")
    path = tmp_path / "long.warc"
    path.write_bytes(b"".join(records))
    report, kept, bad = process(tmp_path, [path])
    assert [r["url"] for r in kept] == ["http://example.com/0", "http://example.com/1"]
    assert len(bad) == 1 and "http://example.com/2" in bad[0]["error"] and \
        "Content-Length" in bad[0]["error"]


def test_real_warc_files_pass_the_layout_walk():
    from juicer.io.documents import warc_layout_problem

    for path in sorted((Path(__file__).parent / "data" / "warc").glob("*")):
        if path.suffix in (".warc", ".gz"):
            assert warc_layout_problem(str(path)) is None, path


# ---------------------------------------------------------------- inputs and the output folder


def _docs(path: Path, count: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_lines(path, [json.dumps({"text": f"{path.stem} {i}"}) for i in range(count)])


def test_a_symlink_loop_and_links_to_one_file_read_it_once(tmp_path):
    data = tmp_path / "data"
    _docs(data / "a.jsonl")
    (data / "sub").mkdir()
    (data / "sub" / "loop").symlink_to(data, target_is_directory=True)
    (data / "alias.jsonl").symlink_to(data / "a.jsonl")
    for paths in ([data], [str(data / "**" / "*.jsonl")], [data / "a.jsonl", data / "alias.jsonl"]):
        report, kept, bad = process(tmp_path, paths)
        assert report["input_docs"] == 3 and len(kept) == 3


def test_a_named_pipe_in_an_input_folder_is_an_error_naming_it(tmp_path):
    import os

    data = tmp_path / "data"
    _docs(data / "a.jsonl")
    os.mkfifo(data / "pipe.jsonl")
    with pytest.raises(juicer.JuicerError, match=r"pipe.jsonl' is a named pipe, not a regular"):
        process(tmp_path, [data])


def test_an_unreadable_input_folder_is_an_error_naming_it(tmp_path, monkeypatch):
    import os

    data = tmp_path / "data"
    _docs(data / "a.jsonl")
    (data / "locked").mkdir()
    real_walk = os.walk

    def walk_refusing_locked(top, onerror=None, **kwargs):
        # tests run as root, for whom no permission is missing: refuse one folder here
        # the way the OS refuses it to everyone else
        for entry in real_walk(top, onerror=onerror, **kwargs):
            if entry[0].endswith("locked"):
                onerror(PermissionError(13, "Permission denied", entry[0]))
                return
            yield entry

    monkeypatch.setattr(os, "walk", walk_refusing_locked)
    from juicer.io.shards import expand_paths

    with pytest.raises(juicer.JuicerError, match=r"input folder '.*locked' cannot be read: "
                                                 r"Permission denied"):
        expand_paths([str(data)])


def test_an_output_inside_an_input_folder_does_not_read_itself_back(tmp_path):
    data = tmp_path / "data"
    _docs(data / "a.jsonl")
    recipe = write_recipe(tmp_path, KEEP_ALL, paths=[data], output="data/curated",
                          output_format="jsonl")
    for _ in range(2):
        result = juicer.process(recipe, overwrite=True)
        assert result.report["input_docs"] == 3 and result.report["kept_docs"] == 3


@pytest.mark.parametrize("output", ["data", ".", "data/.."])
def test_an_output_that_is_or_holds_an_input_is_refused_and_the_input_survives(tmp_path, output):
    data = tmp_path / "data"
    source = _docs(data / "data" / "a.jsonl")  # the input has a folder named data/ too
    before = source.read_bytes()
    recipe = write_recipe(tmp_path, KEEP_ALL, paths=[data], output=output)
    with pytest.raises(juicer.JuicerError, match="holds the input"):
        juicer.process(recipe, overwrite=True)
    assert source.read_bytes() == before


@pytest.mark.parametrize("where", ["/", "~"])
def test_root_and_home_folders_are_refused_as_outputs(tmp_path, where):
    import os

    from juicer.io.ownership import check_output_place

    with pytest.raises(juicer.JuicerError, match="the root folder|a home folder"):
        check_output_place(os.path.expanduser(where), [str(tmp_path / "in.jsonl")])


def test_overwrite_removes_only_what_a_juicer_run_wrote(tmp_path):
    _docs(tmp_path / "in" / "a.jsonl")
    out = tmp_path / "out"
    mine = out / "data" / "notes.txt"  # a user's file in a folder named like an output's
    mine.parent.mkdir(parents=True)
    mine.write_text("keep me")
    with pytest.raises(juicer.JuicerError, match="no sign that a Juicer run wrote them"):
        process(tmp_path, [tmp_path / "in"])
    assert mine.read_text() == "keep me"
    mine.unlink()
    process(tmp_path, [tmp_path / "in"])  # a real run, then a stranger in its data/
    mine.write_text("keep me")
    with pytest.raises(juicer.JuicerError, match="files a Juicer run did not write"):
        process(tmp_path, [tmp_path / "in"])
    assert mine.read_text() == "keep me"


def test_refusals_exit_2_on_the_command_line(tmp_path):
    import subprocess
    import sys

    data = tmp_path / "data"
    _docs(data / "a.jsonl")
    recipe = write_recipe(tmp_path, KEEP_ALL, paths=[data], output="data/..")
    done = subprocess.run([sys.executable, "-m", "juicer.cli", "process", str(recipe),
                           "--overwrite"], capture_output=True, text=True)
    assert done.returncode == 2 and "holds the input" in done.stderr


# ---------------------------------------------------------------- types across files


def test_a_field_typed_differently_in_another_file_quarantines_those_documents(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    write_lines(data / "a.jsonl", [json.dumps({"text": f"a{i} " * 40, "score": i}) for i in range(300)])
    write_lines(data / "b.jsonl", [json.dumps({"text": f"b{i} " * 40, "score": "high" if i % 2 else None})
                                   for i in range(300)])
    outputs = []
    for shard_size, workers in (("1MB", 1), ("8KB", 2)):
        recipe = write_recipe(tmp_path, KEEP_ALL, paths=[data], output="out",
                              output_format="jsonl", input_shard_size=shard_size)
        report = juicer.process(recipe, overwrite=True, workers=workers).report
        assert report["accounting_ok"] and report["kept_docs"] == 450
        assert report["type_conflicts"] == {"documents": 150, "by_field": {"score": 150}}
        bad = quarantined(tmp_path / "out")
        assert [e["line"] for e in bad] == list(range(2, 301, 2))
        assert all(e["file"].endswith("b.jsonl") and "field 'score' is string here but int64"
                   in e["error"] for e in bad)
        outputs.append({p.name: p.read_bytes() for kind in ("data", "quarantine")
                        for p in sorted((tmp_path / "out" / kind).glob("*"))})
    assert outputs[0] == outputs[1]  # whatever the sharding, the same documents stand


def test_a_truncated_compressed_csv_keeps_every_whole_row(tmp_path):
    import gzip

    from juicer.io.readers import count_records

    data = ("text,id\n" + "".join(f"row number {i},{i}\n" for i in range(5000))).encode()
    packed = gzip.compress(data)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(packed[:len(packed) // 2])
    report, kept, bad = process(tmp_path, [path])
    assert [r["text"] for r in kept] == [f"row number {i}" for i in range(len(kept))]
    assert len(bad) == 1 and bad[0]["row"] == len(kept) and "truncated" in bad[0]["error"]
    assert count_records(str(path)) == report["input_docs"]
    jsonl = tmp_path / "cut.jsonl.gz"
    jsonl.write_bytes(gzip.compress(_jsonl_bytes(3000))[:20000])
    assert count_records(str(jsonl)) == process(tmp_path, [jsonl])[0]["input_docs"]


def _many_docs(count: int = 20_000) -> pa.Table:
    return pa.table({"text": [f"doc {i} " * 10 for i in range(count)], "i": list(range(count))})


def test_a_parquet_file_without_its_footer_is_one_quarantined_entry(tmp_path):
    import io

    buffer = io.BytesIO()
    pq.write_table(_many_docs(), buffer, row_group_size=2000)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    good = _write_table(tmp_path / "good.parquet", pa.table({"text": ["fine"]}))
    report, kept, bad = process(tmp_path, [cut, good])
    assert kept == [{"text": "fine"}]
    assert len(bad) == 1 and bad[0]["file"] == str(cut) and "footer" in bad[0]["error"]


def test_a_damaged_parquet_row_group_costs_only_its_rows(tmp_path):
    import io

    buffer = io.BytesIO()
    pq.write_table(_many_docs(6000), buffer, row_group_size=2000, compression="zstd")
    data = bytearray(buffer.getvalue())
    meta = pq.ParquetFile(io.BytesIO(bytes(data))).metadata
    column = meta.row_group(1).column(0)
    middle = column.data_page_offset + column.total_compressed_size // 2
    data[middle:middle + 64] = b"\xff" * 64  # scribble over row group 1's text pages
    path = tmp_path / "damaged.parquet"
    path.write_bytes(bytes(data))
    report, kept, bad = process(tmp_path, [path])
    assert [r["i"] for r in kept] == list(range(2000)) + list(range(4000, 6000))
    assert len(bad) == 1 and bad[0]["row"] == 2000 and "row group 1 is damaged" in bad[0]["error"]


@pytest.mark.parametrize("layout", ["file", "stream"])
def test_a_truncated_arrow_file_keeps_its_whole_batches(tmp_path, layout):
    import io

    table = _many_docs(10_000)
    buffer = io.BytesIO()
    opener = pa.ipc.new_file if layout == "file" else pa.ipc.new_stream
    with opener(buffer, table.schema) as writer:
        for start in range(0, 10_000, 1000):
            writer.write_table(table.slice(start, 1000))
    path = tmp_path / "cut.arrow"
    path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    report, kept, bad = process(tmp_path, [path])
    assert len(kept) % 1000 == 0 and 0 < len(kept) < 10_000
    assert [r["i"] for r in kept] == list(range(len(kept)))
    assert len(bad) == 1 and bad[0]["row"] == len(kept) and "damaged" in bad[0]["error"]


def test_an_empty_object_is_carried_to_jsonl_and_quarantined_for_parquet(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", ['{"text": "a", "meta": {}}',
                                               '{"text": "b", "meta": {"deep": [{}]}}',
                                               '{"text": "c"}'])
    report, kept, bad = process(tmp_path, [path])
    # a key the block's other records have is null where a record lacks it
    assert kept == [{"text": "a", "meta": {"deep": None}},
                    {"text": "b", "meta": {"deep": [{}]}}, {"text": "c", "meta": None}]
    assert not bad
    report, _, bad = process(tmp_path, [path], output_format="parquet")
    # the first record's object has the block's key "deep" (null) there: only [{}] is empty
    assert report["kept_docs"] == 2 and [e["line"] for e in bad] == [2]
    assert "field 'meta' holds an empty object, which Parquet cannot store" in bad[0]["error"]
