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
