"""Every input format Juicer reads gives the same documents: the web sample written as
Parquet, Arrow IPC (file and stream), a Hugging Face save_to_disk folder, CSV, TSV and
plain text runs through the same recipe with the same result as the JSONL; bad rows of the
new formats are quarantined with file, row/line and reason; WARC/WET web archives read
their text records."""
import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import juicer
from juicer.errors import RecipeError
from tests.conftest import DATA, read_output, write_recipe

PIPELINE = [
    {"op": "whitespace_normalization_mapper"},
    {"op": "text_length_filter", "params": {"min_len": 200}},
    {"op": "words_num_filter", "params": {"min_num": 30}},
    {"op": "document_deduplicator"},
]
WARC = DATA / "warc"


def run(tmp_path, paths, name, pipeline=PIPELINE, **sections):
    recipe = write_recipe(tmp_path / name, pipeline, paths=paths, **sections)
    return juicer.process(recipe, workers=2, overwrite=True)


@pytest.fixture(scope="module")
def rows(sample_rows):
    # the fields every format can carry as they are (CSV and text have no types)
    return [{"id": str(row["id"]), "url": row["url"] or "", "text": row["text"]}
            for row in sample_rows[:600]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, rows):
    directory = tmp_path_factory.mktemp("reference")
    path = directory / "docs.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")
    result = run(directory, [path], "run")
    return read_output(result.output, "data"), result.report


def _write(kind: str, rows: list[dict], directory: Path) -> list[Path]:
    table = pa.Table.from_pylist(rows)
    if kind == "parquet":
        pq.write_table(table, directory / "docs.parquet", row_group_size=100)
    elif kind == "arrow_file":
        feather.write_feather(table, directory / "docs.arrow", chunksize=64,
                              compression="uncompressed")
    elif kind == "arrow_stream":
        with pa.OSFile(str(directory / "docs.arrow"), "wb") as sink, \
                pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=64)
    elif kind == "hf_folder":
        import datasets

        datasets.Dataset.from_list(rows).save_to_disk(str(directory / "hf"), num_shards=3)
        return [directory / "hf"]
    elif kind in ("csv", "tsv_gz"):
        path = directory / ("docs.csv" if kind == "csv" else "docs.tsv.gz")
        opener = gzip.open if kind == "tsv_gz" else open
        with opener(path, "wt", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["id", "url", "text"],
                                    delimiter="," if kind == "csv" else "\t")
            writer.writeheader()
            writer.writerows(rows)
    return [directory / name for name in sorted(p.name for p in directory.iterdir())] \
        if kind != "hf_folder" else [directory]


@pytest.mark.parametrize("kind", ["parquet", "arrow_file", "arrow_stream", "hf_folder", "csv",
                                  "tsv_gz"])
def test_every_table_format_gives_the_jsonl_result(tmp_path, rows, reference, kind):
    directory = tmp_path / "input"
    directory.mkdir()
    paths = _write(kind, rows, directory)
    result = run(tmp_path, paths, "run", input_shard_size=30_000)
    expected, expected_report = reference
    data = read_output(result.output, "data")
    assert data.to_pylist() == expected.to_pylist()
    for key in ("input_docs", "kept_docs", "dropped_docs", "quarantined_docs"):
        assert result.report[key] == expected_report[key], key
    assert result.report["accounting_ok"]
    if kind in ("arrow_file", "hf_folder"):
        assert result.report["executor"]["shards"] > 1  # cut between record batches / one per file


def test_arrow_shard_size_does_not_change_the_output(tmp_path, rows):
    directory = tmp_path / "input"
    directory.mkdir()
    paths = _write("arrow_file", rows, directory)
    small = run(tmp_path, paths, "small", input_shard_size=20_000)
    large = run(tmp_path, paths, "large", input_shard_size=10**9)
    assert small.report["executor"]["shards"] > large.report["executor"]["shards"] == 1
    for kind in ("data", "dropped"):
        assert read_output(small.output, kind).equals(read_output(large.output, kind))


def test_text_files_one_document_per_file_or_per_line(tmp_path, rows):
    folder = tmp_path / "files"
    folder.mkdir()
    texts = [row["text"] for row in rows[:120]]
    for index, text in enumerate(texts):
        (folder / f"{index:05d}.txt").write_text(text, encoding="utf-8")
    per_file = run(tmp_path, [folder], "per_file", pipeline=[])
    assert read_output(per_file.output, "data").column("text").to_pylist() == texts
    assert per_file.report["input_docs"] == 120

    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    joined = tmp_path / "lines.txt.gz"
    with gzip.open(joined, "wt", encoding="utf-8") as handle:
        handle.write("\ufeff" + "\r\n".join(texts) + "\n\n   \n")
    per_line = run(tmp_path, [joined], "per_line", pipeline=[], input_text_unit="line")
    assert read_output(per_line.output, "data").column("text").to_pylist() == \
        [line.rstrip("\r") for line in lines]
    assert per_line.report["input_docs"] == len(lines)


def test_plain_text_lines_split_across_shards_keep_line_numbers(tmp_path, rows):
    path = tmp_path / "lines.txt"
    good = [row["text"].replace("\n", " ") for row in rows[:300]]
    body = "\n".join(good).encode("utf-8")
    path.write_bytes(body + b"\nbroken \xff line\n" + "\n".join(good[:5]).encode() + b"\n")
    result = run(tmp_path, [path], "run", pipeline=[], input_text_unit="line",
                 input_shard_size=50_000)
    assert result.report["executor"]["shards"] > 2
    assert read_output(result.output, "data").column("text").to_pylist() == good + good[:5]
    bad = read_output(result.output, "quarantine").to_pylist()
    assert [(q["line"], q["error"]) for q in bad] == \
        [(301, "invalid UTF-8 at byte 7 of the line")]
    assert result.report["input_docs"] == 306 and result.report["accounting_ok"]


def test_bad_csv_rows_are_quarantined_with_their_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'id,text\n1,first document\n2,"a quoted, multi\nline text"\n'
                     b'3,too,many fields\n4,\xff\xfe not utf-8\n5,\n6,last document\n')
    result = run(tmp_path, [path], "run", pipeline=[])
    kept = read_output(result.output, "data").to_pylist()
    assert [row["id"] for row in kept] == ["1", "2", "5", "6"]
    assert kept[1]["text"] == "a quoted, multi\nline text" and kept[2]["text"] == ""
    bad = read_output(result.output, "quarantine").to_pylist()
    assert [(q["file"], q["row"], q["error"].split(":")[0]) for q in bad] == [
        (str(path), 2, "expected 2 fields, found 3"), (str(path), 3, "text is not valid UTF-8")]
    assert result.report["input_docs"] == 6 and result.report["quarantined_docs"] == 2
    assert result.report["accounting_ok"]


def test_warc_response_records_become_documents_with_their_metadata(tmp_path):
    files = sorted(WARC.iterdir())
    result = run(tmp_path, files, "run",
                 pipeline=[{"op": "html_to_text_mapper"}, {"op": "text_length_filter",
                                                           "params": {"min_len": 1}}])
    data = read_output(result.output, "data").to_pylist()
    # HTML responses and resources only: requests, metadata and warcinfo are not documents
    assert result.report["input_docs"] == 19 and result.report["quarantined_docs"] == 0
    assert set(data[0]) == {"text", "url", "warc_record_id", "warc_date", "content_type"}
    by_url = {row["url"]: row for row in data}
    # gzip content encoding and chunked transfer encoding are undone before extraction
    assert "Example Domain" in by_url["http://example.com/"]["text"]
    assert "<" not in by_url["http://example.com/"]["text"]
    assert "Internet Assigned Numbers Authority" in by_url["http://www.iana.org/"]["text"]
    assert all(row["warc_record_id"].startswith("<urn:uuid:") for row in data)


def test_a_truncated_warc_keeps_its_first_records_and_quarantines_the_damage(tmp_path):
    whole = (WARC / "warcfile.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    result = run(tmp_path, [cut], "run", pipeline=[])
    kept = result.report["kept_docs"]
    assert 0 < kept < 16
    bad = read_output(result.output, "quarantine").to_pylist()
    # the record the cut falls in is not passed off as whole: it is quarantined
    assert len(bad) == 1 and bad[0]["file"] == str(cut)
    assert bad[0]["error"].endswith("the file ends inside it (truncated)")
    assert result.report["input_docs"] == kept + 1 and result.report["accounting_ok"]


def test_wet_conversion_records_are_plain_text(tmp_path):
    def record(number: int, text: str) -> bytes:
        body = text.encode("utf-8")
        head = (f"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.org/{number}"
                f"\r\nWARC-Date: 2024-01-0{number}T00:00:00Z\r\nWARC-Record-ID: "
                f"<urn:uuid:00000000-0000-0000-0000-00000000000{number}>\r\n"
                f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body + b"\r\n\r\n"

    path = tmp_path / "crawl.warc.wet.gz"
    texts = ["Première page, en français.", "第二页的文字。", "Third page."]
    with gzip.open(path, "wb") as handle:
        for number, text in enumerate(texts, 1):
            handle.write(record(number, text))
    result = run(tmp_path, [path], "run", pipeline=[])
    data = read_output(result.output, "data").to_pylist()
    assert [row["text"] for row in data] == texts
    assert [row["url"] for row in data] == [f"http://example.org/{n}" for n in (1, 2, 3)]


def test_text_unit_is_validated(tmp_path):
    recipe = write_recipe(tmp_path, [], paths=[DATA / "bad_records.jsonl"],
                          input_text_unit="paragraph")
    with pytest.raises(RecipeError, match="text_unit"):
        juicer.load_recipe(recipe)


@pytest.mark.parametrize("output_format", ["parquet", "jsonl", "arrow"])
def test_every_output_format_reads_back_as_input_unchanged(tmp_path, rows, output_format):
    """Write the documents in each output format, read that output as the next run's input:
    the same documents and fields come back."""
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                      encoding="utf-8")
    first = run(tmp_path, [source], "first", pipeline=[], output_format=output_format,
                output_shard_rows=250)
    written = sorted((Path(first.output) / "data").iterdir())
    assert len(written) == 3 and {p.suffix for p in written} == {f".{output_format}"}
    second = run(tmp_path, [Path(first.output) / "data"], "second", pipeline=[])
    assert second.report["input_docs"] == len(rows) and second.report["quarantined_docs"] == 0
    assert read_output(second.output, "data").to_pylist() == pa.Table.from_pylist(rows).to_pylist()
