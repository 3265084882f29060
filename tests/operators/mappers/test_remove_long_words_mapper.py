import juicer
from juicer.text.kernels import special_characters
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def reference(text, low=1, high=2**63 - 1):
    """Data-Juicer's: split on newline, tab, space; keep fitting words; drop empty parts."""
    strip = "".join(special_characters())

    def keep(word):
        return low <= len(word) <= high or (len(word) > high and low <= len(word.strip(strip)) <= high)

    lines = [[[w for w in part.split(" ") if w and keep(w)] for part in line.split("\t")]
             for line in text.split("\n")]
    lines = ["\t".join(" ".join(p) for p in line if p) for line in lines]
    return "\n".join(line for line in lines if line)


def test_hand_checked_results():
    op = juicer.operator("remove_long_words_mapper", min_len=2, max_len=5)
    assert kept_texts(op, ["a bb ccc dddddd word, x", "line\n\nnext   spaced"]) == [
        "bb ccc word,", "line\nnext"]


def test_matches_reference_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    assert_matches_reference(juicer.operator("remove_long_words_mapper"), reference, texts)
    assert_matches_reference(juicer.operator("remove_long_words_mapper", min_len=3, max_len=12),
                             lambda t: reference(t, 3, 12), texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_long_words_mapper"))
