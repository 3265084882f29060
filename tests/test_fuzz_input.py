"""Fuzzed input (hypothesis): records with optional fields, odd numbers and strings, in every
reader's format, and files cut at any byte. Every record is kept with its values unchanged
or quarantined, and the counts add up (issue 24)."""
from __future__ import annotations

import gzip
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juicer.io.carry import same_value
from juicer.io.shards import split_into_shards
from juicer.io.readers import read_shard

numbers = st.one_of(
    st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 2**53 + 1, 2**63, 2**64 - 1, 2**64, 1e308, 5e-324]))
strings = st.one_of(st.text(max_size=30),
                    st.sampled_from(["\ud800", "a\udfffb", "😀", "\u2028", "\x00", '"', "\\"]))
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)),
    max_leaves=8)
records = st.lists(st.fixed_dictionaries(
    {"text": st.one_of(strings, st.integers(), st.none())},
    optional={"id": numbers, "meta": values, "tags": st.lists(strings, max_size=3),
              "score": st.one_of(numbers, strings)}), min_size=1, max_size=12)

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _dump(record: dict) -> str:
    # Python's json writes NaN/Infinity and lone surrogates: exactly the hostile input
    return json.dumps(record, ensure_ascii=True)


def _read(path: str, text_field: str = "text"):
    kept, bad = [], []
    for shard in split_into_shards([path], 2**30):
        for result in read_shard(shard, text_field):
            bad += result.quarantine
            if result.table is not None:
                kept += result.table.drop_columns(["__row_id__"]).to_pylist()
    return kept, bad


def _carriable(record: dict) -> bool:
    """Whether a record can be carried as it is (what the reader must keep)."""
    def fine(value, depth=0):
        if isinstance(value, str):
            return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        if isinstance(value, bool) or value is None:
            return True
        if isinstance(value, int):
            return -2**63 <= value < 2**64
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, list):
            return all(fine(v) for v in value)
        return all(fine(k) and fine(v) for k, v in value.items())
    return isinstance(record.get("text"), str) and fine(record)


@FUZZ
@given(records)
def test_jsonl_records_are_kept_unchanged_or_quarantined(tmp_path_factory, batch):
    path = tmp_path_factory.mktemp("fuzz") / "in.jsonl"
    path.write_text("".join(_dump(r) + "\n" for r in batch))
    kept, bad = _read(str(path))
    assert len(kept) + len(bad) == len(batch)
    lines = {entry["line"] for entry in bad}
    survivors = [r for number, r in enumerate(batch, 1) if number not in lines]
    assert len(survivors) == len(kept)
    for original, carried in zip(survivors, kept):
        assert _carriable(original)
        assert same_value(original, carried), (original, carried)
    for number, record in enumerate(batch, 1):
        if number in lines:
            entry = next(e for e in bad if e["line"] == number)
            assert entry["error"] and entry["file"] == str(path)
            entry["error"].encode("utf-8")  # a message quoting a surrogate stays writable
    # what is carriable alone is only refused for a type its block already gave the field
    for number, record in enumerate(batch, 1):
        if number in lines and _carriable(record):
            error = next(e for e in bad if e["line"] == number)["error"]
            assert "earlier record" in error or "cannot hold exactly" in error or \
                "would change" in error, error


tables = st.lists(st.fixed_dictionaries({
    "text": st.one_of(st.text(max_size=20), st.none()),
    "n": st.one_of(st.none(), st.integers(min_value=-2**63, max_value=2**63 - 1)),
    "f": st.one_of(st.none(), st.floats(allow_nan=False)),
    "tags": st.lists(st.text(max_size=5), max_size=3)}), min_size=1, max_size=20)


@FUZZ
@given(tables, st.sampled_from(["parquet", "arrow", "csv"]))
def test_table_rows_are_kept_unchanged_or_quarantined(tmp_path_factory, rows, kind):
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("text", pa.string()), ("n", pa.int64()), ("f", pa.float64()),
        ("tags", pa.list_(pa.string()))]))
    path = tmp_path_factory.mktemp("fuzz") / f"in.{kind}"
    if kind == "parquet":
        pq.write_table(table, path)
    elif kind == "arrow":
        with pa.ipc.new_file(str(path), table.schema) as writer:
            writer.write_table(table)
    else:
        import pyarrow.csv as pcsv

        pcsv.write_csv(table.drop_columns(["tags"]), path)
    kept, bad = _read(str(path))
    assert len(kept) + len(bad) == len(rows)
    if kind == "csv":  # CSV holds text: the text column, as written
        return
    bad_rows = {entry["row"] for entry in bad}
    assert bad_rows == {i for i, r in enumerate(rows) if r["text"] is None}
    survivors = [r for i, r in enumerate(rows) if i not in bad_rows]
    assert all(same_value(a, b) for a, b in zip(survivors, kept))


@FUZZ
@given(st.integers(min_value=1, max_value=400), st.integers(min_value=0, max_value=10**6),
       st.sampled_from(["gz", "zst"]))
def test_a_compressed_file_cut_anywhere_keeps_whole_lines_and_names_the_cut(
        tmp_path_factory, lines, cut_seed, codec):
    data = "".join(json.dumps({"text": f"line {i} " * (i % 7 + 1), "i": i}) + "\n"
                   for i in range(lines)).encode()
    packed = gzip.compress(data) if codec == "gz" else zstandard.ZstdCompressor().compress(data)
    cut = cut_seed % (len(packed) + 1)
    path = tmp_path_factory.mktemp("fuzz") / f"in.jsonl.{codec}"
    path.write_bytes(packed[:cut])
    kept, bad = _read(str(path))
    assert [r["i"] for r in kept] == list(range(len(kept)))  # a prefix, in order, unchanged
    if cut == len(packed):
        assert len(kept) == lines and not bad
    elif cut == 0:  # an empty file holds nothing (as tools that write no record leave it)
        assert not kept and not bad
    else:
        assert len(bad) == 1 and "damaged" in bad[0]["error"], bad
        assert len(kept) <= lines  # a cut in the trailer (checksum) loses no line


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records, st.sampled_from(["jsonl", "parquet"]))
def test_a_whole_run_writes_carried_fields_unchanged_and_adds_up(tmp_path_factory, batch, fmt):
    import juicer
    from tests.conftest import read_output, write_recipe

    folder = tmp_path_factory.mktemp("run")
    path = folder / "in.jsonl"
    path.write_text("".join(_dump(r) + "\n" for r in batch))
    recipe = write_recipe(folder, [{"op": "text_length_filter", "params": {"min_len": 0}}],
                          paths=[path], output_format=fmt)
    report = juicer.process(recipe, overwrite=True).report
    assert report["accounting_ok"] and report["input_docs"] == len(batch)
    bad = read_output(folder / "out", "quarantine")
    lines = set(bad.column("line").to_pylist()) if bad is not None else set()
    survivors = [r for number, r in enumerate(batch, 1) if number not in lines]
    if fmt == "jsonl":  # what a user's JSON reader gets back
        written = [json.loads(line) for part in sorted((folder / "out" / "data").glob("*"))
                   for line in part.read_text(encoding="utf-8").split("\n") if line]
    else:
        table = read_output(folder / "out", "data")
        written = table.to_pylist() if table is not None else []
    assert len(written) == len(survivors) == report["kept_docs"]
    for original, carried in zip(survivors, written):
        assert same_value(original, carried), (original, carried)
