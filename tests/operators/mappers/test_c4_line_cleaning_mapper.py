import juicer
from tests.operators.helpers import check_null_is_quarantined, kept_texts

GOOD = "This line is a fine sentence."


def test_hand_checked_cleaning():
    text = "\n".join([GOOD, "Lorem ipsum dolor sit amet.", "A {curly} line is here.",
                      "no punctuation at all", "Privacy policy and terms of use."])
    assert kept_texts(juicer.operator("c4_line_cleaning_mapper"), [text, ""]) == [GOOD, ""]


def test_agrees_with_the_filter_on_documents_it_keeps(sample_texts):
    mapper = kept_texts(juicer.operator("c4_line_cleaning_mapper"), sample_texts)
    filtered = juicer.apply([{"text": t, "i": i} for i, t in enumerate(sample_texts)],
                            juicer.operator("c4_quality_filter", min_num_sentences=-1))
    assert filtered and all(mapper[row["i"]] == row["text"] for row in filtered)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("c4_line_cleaning_mapper"))
