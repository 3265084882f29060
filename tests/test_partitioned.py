"""A shard's signatures in few files, each partition a checked segment (io/partitioned.py)."""
import numpy as np
import pyarrow as pa
import pytest

from juicer.io import partitioned
from juicer.io.integrity import DamagedIntermediate
from juicer.io.writers import write_json


def test_partitions_read_back_in_order_across_flushed_files(tmp_path, monkeypatch):
    monkeypatch.setattr(partitioned, "FLUSH_BYTES", 2_000)  # a file every ~2 KB
    marker = str(tmp_path / "shard00000.done.json")
    sink = partitioned.PartitionedSink(str(tmp_path / "shard00000"), "signatures", 4, marker)
    keys = np.arange(1_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for start in range(0, 1_000, 100):
        batch = pa.table({"key_hash": keys[start:start + 100],
                          "__row_id__": np.arange(start, start + 100)})
        sink.write(batch, (keys[start:start + 100] % np.uint64(4)).astype(np.int64))
    segments = sink.close()
    files = {segment[0] for p in segments.values() for segment in p}
    assert len(files) > 3 and sorted(segments) == ["0", "1", "2", "3"]
    for p in range(4):
        rows = partitioned.read_partition(segments[str(p)])
        expected = np.flatnonzero(keys % np.uint64(4) == p)  # every row, in arrival order
        assert rows.column("__row_id__").to_pylist() == expected.tolist()
    assert partitioned.read_partition([]) is None

    write_json({}, marker)
    path, offset, length, _ = segments["2"][0]
    with open(path, "r+b") as handle:
        handle.seek(offset + length // 2)
        handle.write(b"\xff")
    with pytest.raises(DamagedIntermediate, match=r"signatures-000.arrow is damaged: the "
                                                  r"checksum of the bytes at offset \d+ does "
                                                  r"not match; the task that wrote it "):
        partitioned.read_partition(segments["2"])
    assert not (tmp_path / "shard00000.done.json").exists()  # its shard task is redone


@pytest.mark.parametrize("whole_below", [0, 2**30])
def test_rows_with_ids_read_only_the_batches_that_hold_them(tmp_path, monkeypatch, whole_below):
    from juicer.io import intermediates
    from juicer.io.intermediates import ArrowSink, read_rows_with_ids

    monkeypatch.setattr(intermediates, "WHOLE_READ_BYTES", whole_below)
    sink = ArrowSink(str(tmp_path), "kept")
    for start in range(0, 10_000, 1_000):  # ten record batches, row ids 0, 3, 6, ...
        ids = np.arange(start, start + 1_000) * 3
        sink.write(pa.table({"__row_id__": ids, "text": [f"doc {i}" for i in ids],
                             "other": ids * 2}))
    files = [str(tmp_path / name) for name in sink.close()["files"]]
    wanted = np.array([29_997, 6, 15_000, 4])  # 4 is no row id here
    rows = read_rows_with_ids(files, ["__row_id__", "text"], "__row_id__", wanted)
    assert rows.column_names == ["__row_id__", "text"]
    assert rows.column("text").to_pylist() == ["doc 6", "doc 15000", "doc 29997"]
    assert read_rows_with_ids(files, ["__row_id__", "text"], "__row_id__", np.array([1])) is None


def test_decisions_are_written_as_one_segment_per_shard_holding_their_rows(tmp_path):
    """A global step's decisions (one file per writing task) are cut by the row-id range of
    each shard, so a shard task of the next stage reads only the bytes about its own rows."""
    from juicer.core.batch import ROW_ID
    from juicer.engine.global_tasks import write_decisions as _write_decisions

    rows = [1, 2, 3, 5, 7, 9, 12, 40]  # 3 and 40 lie in no shard's range: nobody needs them
    table = pa.table({ROW_ID: pa.array(rows, pa.int64()), "__drop__": [r % 2 == 0 for r in rows]})
    bounds = ((0, 2), (5, 7), (8, 8), (9, 20))
    segments = _write_decisions(table, bounds, str(tmp_path / "decisions"), "all",
                                str(tmp_path / "all.done.json"))
    assert sorted(segments) == ["0", "1", "3"]  # the shard holding row 8 has no decision
    read = {p: partitioned.read_partition(s).column(ROW_ID).to_pylist()
            for p, s in segments.items()}
    assert read == {"0": [1, 2], "1": [5, 7], "3": [9, 12]}
    assert len({path for s in segments.values() for path, *_ in s}) == 1  # one file
    empty = _write_decisions(table.slice(0, 0), bounds, str(tmp_path / "none"), "all",
                             str(tmp_path / "none.done.json"))
    assert empty == {}
