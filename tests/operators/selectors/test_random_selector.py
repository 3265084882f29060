import pyarrow as pa
import pytest

import juicer


def ids(rows):
    return [r["id"] for r in rows]


def test_sample_size_follows_data_juicer():
    rows = [{"id": i, "text": f"doc {i}"} for i in range(40)]
    assert len(juicer.apply(rows, juicer.operator("random_selector", select_ratio=0.25))) == 10
    assert len(juicer.apply(rows, juicer.operator("random_selector", select_num=7))) == 7
    # both set: the smaller sample wins
    assert len(juicer.apply(rows, juicer.operator("random_selector", select_ratio=0.5,
                                                  select_num=3))) == 3
    assert len(juicer.apply(rows, juicer.operator("random_selector", select_num=100))) == 40
    assert len(juicer.apply(rows, juicer.operator("random_selector"))) == 40


def test_sample_is_reproducible_in_input_order_and_changes_with_the_seed(sample_rows):
    op = juicer.operator("random_selector", select_num=100)
    first = ids(juicer.apply(sample_rows, op))
    assert first == ids(juicer.apply(pa.Table.from_pylist(sample_rows), op).to_pylist())
    order = {row["id"]: i for i, row in enumerate(sample_rows)}
    assert [order[i] for i in first] == sorted(order[i] for i in first)
    other = ids(juicer.apply(sample_rows, juicer.operator("random_selector", select_num=100,
                                                          seed=7)))
    assert len(set(first) & set(other)) < 30  # another seed, mostly another sample


def test_sample_is_spread_over_the_input(sample_rows):
    kept = ids(juicer.apply(sample_rows, juicer.operator("random_selector", select_ratio=0.2)))
    order = {row["id"]: i for i, row in enumerate(sample_rows)}
    first_half = sum(order[i] < len(sample_rows) / 2 for i in kept)
    assert len(kept) == 500 and 200 < first_half < 300


def test_dropped_documents_name_the_rule():
    result = juicer.apply([{"text": "a"}, {"text": "b"}],
                          juicer.operator("random_selector", select_num=1), detailed=True)
    assert [r["__drop_reason__"] for r in result.dropped] == ["random_selector:not_selected"]


def test_ratio_out_of_range_is_refused():
    with pytest.raises(ValueError, match="less than or equal to 1"):
        juicer.operator("random_selector", select_ratio=1.5)
