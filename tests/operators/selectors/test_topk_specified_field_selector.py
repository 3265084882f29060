import pytest

import juicer
from juicer.errors import OperatorError


ROWS = [{"id": i, "text": "x" * i, "meta": {"score": s}}
        for i, s in enumerate([0.3, 0.9, None, 0.9, 0.1, 0.5])]


def kept_ids(**params):
    return [r["id"] for r in juicer.apply(
        ROWS, juicer.operator("topk_specified_field_selector", **params))]


def test_keeps_the_largest_values_in_input_order():
    assert kept_ids(field_key="meta.score", topk=3) == [1, 3, 5]


def test_smallest_values_ties_to_the_earlier_and_nulls_last():
    assert kept_ids(field_key="meta.score", topk=2, reverse=False) == [0, 4]
    assert kept_ids(field_key="meta.score", topk=6) == [0, 1, 2, 3, 4, 5]
    assert kept_ids(field_key="meta.score", topk=5) == [0, 1, 3, 4, 5]  # the null goes
    assert kept_ids(field_key="meta.score", top_ratio=0.5, reverse=False, topk=1) == [4]


def test_ties_go_to_the_earlier_document():
    assert kept_ids(field_key="meta.score", topk=1) == [1]


def test_without_field_or_count_everything_is_kept():
    assert kept_ids(topk=2) == [0, 1, 2, 3, 4, 5]
    assert kept_ids(field_key="meta.score") == [0, 1, 2, 3, 4, 5]


def test_ranks_by_a_stat_of_an_earlier_step(sample_rows):
    kept = juicer.apply(sample_rows, [
        juicer.operator("words_num_filter", min_num=0),
        juicer.operator("topk_specified_field_selector",
                        field_key="__stats__.words_num_filter.num_words", topk=10)])
    longest = sorted(sample_rows, key=lambda r: -len(r["text"].split()))[:40]
    assert len(kept) == 10 and {r["id"] for r in kept} <= {r["id"] for r in longest}


def test_a_missing_field_names_what_exists():
    with pytest.raises(OperatorError, match="'meta' has no field 'quality'"):
        kept_ids(field_key="meta.quality", topk=1)
    with pytest.raises(OperatorError, match="field 'metadata'.*columns: id, text, meta"):
        kept_ids(field_key="metadata.score", topk=1)


def test_numbers_written_as_strings_rank_as_numbers_and_lists_by_their_mean():
    # Data-Juicer's stats_to_number (a new user saw "243" ranked below "33", and a crash
    # on a list-valued field)
    rows = [{"text": str(i), "s": v} for i, v in enumerate(["243", "33", "5", None, "x"])]
    op = juicer.operator("topk_specified_field_selector", field_key="s", topk=2)
    assert [r["s"] for r in op(rows)] == ["243", "33"]
    rows = [{"text": str(i), "s": v} for i, v in enumerate([[1, 2], [10], [], None, [3, 3]])]
    assert [r["s"] for r in op(rows)] == [[10], [3, 3]]
    smallest = juicer.operator("topk_specified_field_selector", field_key="s", topk=2,
                               reverse=False)
    assert [r["s"] for r in smallest(rows)] == [[1, 2], [3, 3]]  # missing still last
