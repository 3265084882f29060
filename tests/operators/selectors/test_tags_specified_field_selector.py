import juicer


def test_hand_checked_results():
    rows = [{"text": str(i), "meta": {"tag": t}} for i, t in enumerate(["news", "spam", None, "blog"])]
    op = juicer.operator("tags_specified_field_selector", field_key="meta.tag",
                         target_tags=["news", "blog"])
    assert [r["text"] for r in op(rows)] == ["0", "3"]
    assert len(juicer.operator("tags_specified_field_selector")(rows)) == 4


def test_list_fields_need_one_matching_tag():
    rows = [{"text": "a", "tags": ["x", "y"]}, {"text": "b", "tags": ["z"]}, {"text": "c", "tags": []}]
    op = juicer.operator("tags_specified_field_selector", field_key="tags", target_tags=["y"])
    assert [r["text"] for r in op(rows)] == ["a"]


def test_matches_reference_on_real_documents(sample_rows):
    op = juicer.operator("tags_specified_field_selector", field_key="source",
                         target_tags=["mozilla_readability", "ud_ewt_reviews"])
    assert [r["id"] for r in op(sample_rows)] == [
        r["id"] for r in sample_rows if r["source"] in ("mozilla_readability", "ud_ewt_reviews")]
