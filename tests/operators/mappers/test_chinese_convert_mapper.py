import pytest

import juicer
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    assert kept_texts(juicer.operator("chinese_convert_mapper"), ["汉字简体中文", "abc"]) == [
        "漢字簡體中文", "abc"]
    assert kept_texts(juicer.operator("chinese_convert_mapper", mode="t2s"), ["漢字簡體中文"]) == [
        "汉字简体中文"]
    assert kept_texts(juicer.operator("chinese_convert_mapper", mode="s2twp"), ["软件"]) == ["軟體"]


def test_round_trip_on_real_chinese_documents(sample_rows):
    chinese = [r["text"] for r in sample_rows if r.get("lang") == "zh"][:50]
    assert chinese
    traditional = kept_texts(juicer.operator("chinese_convert_mapper", mode="s2t"), chinese)
    assert sum(a != b for a, b in zip(chinese, traditional)) > len(chinese) // 2
    assert [len(t) for t in traditional] == [len(t) for t in chinese]
    back = kept_texts(juicer.operator("chinese_convert_mapper", mode="t2s"), traditional)
    # one traditional character can stand for several simplified ones, and some pages of
    # the sample are written in traditional characters already: most characters come back
    changed_back = sum(a != b for a, b in zip("".join(chinese), "".join(back)))
    assert changed_back < 0.05 * len("".join(chinese))


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="s2t"):
        juicer.operator("chinese_convert_mapper", mode="x2y")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("chinese_convert_mapper"))
