import heapq

import juicer


def reference(values, count_lower_pct=None, upper_pct=None, lower_rank=None, upper_rank=None):
    """Data-Juicer's two stable heap passes, written plainly; returns kept indices."""
    n = len(values)
    lower, upper = 0, n
    if count_lower_pct is not None:
        lower = int(count_lower_pct * n)
    if lower_rank is not None:
        lower = max(lower, lower_rank)
    if upper_pct is not None:
        upper = int(upper_pct * n)
    if upper_rank is not None:
        upper = min(upper, upper_rank)
    upper = max(lower, upper)
    first = heapq.nsmallest(upper, range(n), values.__getitem__)
    second = heapq.nlargest(upper - lower, range(len(first)), lambda i: values[first[i]])
    return sorted(first[i] for i in second)


def test_hand_checked_results():
    rows = [{"text": str(i), "v": v} for i, v in enumerate([5, 3, 5, 1, 9, None])]
    op = juicer.operator("range_specified_field_selector", field_key="v", lower_rank=1, upper_rank=4)
    # ascending: None, 1, 3, 5, 5, 9 -> ranks 1..3 are 1, 3, 5 (the first 5)
    assert [r["text"] for r in op(rows)] == ["0", "1", "3"]
    only_lower = juicer.operator("range_specified_field_selector", field_key="v", lower_rank=1)
    assert len(only_lower(rows)) == 6


def test_matches_reference_on_real_documents(sample_rows):
    rows = [r for r in sample_rows if r["lang_score"] is not None]
    values = [r["lang_score"] for r in rows]  # many ties: scores have three decimals
    for bounds in [dict(lower_percentile=0.1, upper_percentile=0.6),
                   dict(lower_percentile=0.2, upper_percentile=0.9, lower_rank=500, upper_rank=1500)]:
        op = juicer.operator("range_specified_field_selector", field_key="lang_score", **bounds)
        kept = [r["id"] for r in op(rows)]
        expected = reference(values, bounds.get("lower_percentile"), bounds.get("upper_percentile"),
                             bounds.get("lower_rank"), bounds.get("upper_rank"))
        assert kept == [rows[i]["id"] for i in expected]


def test_drop_reason():
    rows = [{"text": str(i), "v": i} for i in range(4)]
    result = juicer.apply(rows, juicer.operator("range_specified_field_selector", field_key="v",
                                                lower_rank=1, upper_rank=2), detailed=True)
    assert [r["text"] for r in result.kept] == ["1"]
    assert {r["__drop_reason__"] for r in result.dropped} == {"range_specified_field_selector:not_selected"}


def test_list_values_rank_by_their_mean_as_in_data_juicer():
    rows = [{"text": str(i), "s": v} for i, v in enumerate([[1, 2], [10], [4, 6], [0]])]
    op = juicer.operator("range_specified_field_selector", field_key="s", lower_rank=1,
                         upper_rank=3)
    assert [r["s"] for r in op(rows)] == [[1, 2], [4, 6]]  # means 1.5 and 5: ranks 1 and 2
