import juicer
from juicer.text.kernels import special_characters
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import assert_matches_reference, check_null_is_quarantined, kept_texts


def reference(text, substrings=("http", "www", ".com", "href", "//")):
    strip = "".join(special_characters())

    def keep(word):
        return not any(s in word.strip(strip) for s in substrings)

    lines = [[[w for w in part.split(" ") if w and keep(w)] for part in line.split("\t")]
             for line in text.split("\n")]
    lines = ["\t".join(" ".join(p) for p in line if p) for line in lines]
    return "\n".join(line for line in lines if line)


def test_hand_checked_results():
    op = juicer.operator("remove_words_with_incorrect_substrings_mapper")
    assert kept_texts(op, ["visit http://x.org or www.y.com today", "a\tb//c d"]) == [
        "visit or today", "a\td"]
    own = juicer.operator("remove_words_with_incorrect_substrings_mapper", substrings=["xx"])
    assert kept_texts(own, ["axxb keep"]) == ["keep"]


def test_matches_reference_on_real_documents(sample_texts):
    assert_matches_reference(juicer.operator("remove_words_with_incorrect_substrings_mapper"),
                             reference, EDGE_TEXTS + sample_texts)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("remove_words_with_incorrect_substrings_mapper"))


def test_tokenization_cuts_a_failing_run_of_chinese_with_jieba():
    # docs say tokenization splits with jieba for zh; it raised before (found by a new user)
    op = juicer.operator("remove_words_with_incorrect_substrings_mapper", lang="zh",
                         tokenization=True)
    [row] = op([{"text": "第二行www结束 正常的句子\n下一行"}])
    assert row["text"] == "第二行结束 正常的句子\n下一行"
    plain = juicer.operator("remove_words_with_incorrect_substrings_mapper", lang="zh")
    assert plain([{"text": "第二行www结束 正常的句子"}])[0]["text"] == "正常的句子"
