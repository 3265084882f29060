from collections import defaultdict

import juicer


def reference(values, top_ratio=None, topk=None, reverse=True):
    groups = defaultdict(list)
    for index, value in enumerate(values):
        groups[value].append(index)
    wanted = top_ratio * len(groups) if top_ratio else topk
    if top_ratio and topk and topk < wanted:
        wanted = topk
    chosen = sorted(groups.values(), key=len, reverse=reverse)[:int(wanted)]
    return sorted(i for group in chosen for i in group)


def test_hand_checked_results():
    rows = [{"text": str(i), "v": v} for i, v in enumerate(["a", "b", "a", None, "b", "c", "a"])]
    op = juicer.operator("frequency_specified_field_selector", field_key="v", topk=1)
    assert [r["text"] for r in op(rows)] == ["0", "2", "6"]
    rare = juicer.operator("frequency_specified_field_selector", field_key="v", topk=2, reverse=False)
    assert [r["text"] for r in rare(rows)] == ["3", "5"]  # None and "c", once each


def test_matches_reference_on_real_documents(sample_rows):
    for field in ("lang", "source"):
        values = [r[field] for r in sample_rows]
        for options in [dict(topk=3), dict(top_ratio=0.5), dict(top_ratio=0.5, topk=2, reverse=False)]:
            op = juicer.operator("frequency_specified_field_selector", field_key=field, **options)
            assert [r["id"] for r in op(sample_rows)] == [
                sample_rows[i]["id"] for i in reference(values, **options)]
