import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def reference(text, lowercase=False, min_length=1):
    seen, out = set(), []
    for line in text.split("\n"):
        key = line.strip().lower() if lowercase else line.strip()
        if len(key) < min_length or key not in seen:
            out.append(line)
            seen.add(key)
    return "\n".join(out)


def test_hand_checked_results():
    op = juicer.operator("line_dedup_within_doc_mapper")
    assert kept_texts(op, ["Share\nText one.\n\nShare \nText two.\n\nshare", "a\na", "", "x"]) == [
        "Share\nText one.\n\nText two.\n\nshare", "a", "", "x"]
    lower = juicer.operator("line_dedup_within_doc_mapper", lowercase=True)
    assert kept_texts(lower, ["Share\nSHARE"]) == ["Share"]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    assert_matches_reference(juicer.operator("line_dedup_within_doc_mapper"), reference, texts)
    assert_matches_reference(juicer.operator("line_dedup_within_doc_mapper", lowercase=True,
                                             min_line_length=10),
                             lambda t: reference(t, True, 10), texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("line_dedup_within_doc_mapper"))
