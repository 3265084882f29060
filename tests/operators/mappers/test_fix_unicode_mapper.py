import ftfy
import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def test_repairs_mojibake_and_entities():
    op = juicer.operator("fix_unicode_mapper")
    assert kept_texts(op, ["cafÃ©", "Ã¼ber", "&amp; more", "plain ascii", "line\r\nbreak", ""]) \
        == ["café", "über", "& more", "plain ascii", "line\nbreak", ""]


def test_normalization_form_is_applied():
    decomposed = "e\u0301"
    assert kept_texts(juicer.operator("fix_unicode_mapper"), [decomposed]) == ["\u00e9"]
    assert kept_texts(juicer.operator("fix_unicode_mapper", normalization="NFD"),
                      ["\u00e9"]) == [decomposed]
    assert kept_texts(juicer.operator("fix_unicode_mapper", normalization="NFKC"),
                      ["ﬁ"]) == ["fi"]


# one of each thing an ftfy fix rewrites, alone and beside the others
TRICKY = ["“curly” ‘quotes’ ʼ", "ﬁne ﬂow Ĳ", "ＦＵＬＬ　ｗｉｄｔｈ ｶﾀｶﾅ", "cr\r\nlf\rlone\u2028ls\u2029ps",
          "nel\x85here", "\ufeffbom and \u200bzw", "ctrl\x07bell\x1b[31mred\x1b[0m",
          "c1 \x92 \x80", "AT&T &amp; &eacute; &#233; &nbsp;x", "<b>&amp;</b>\n&amp;",
          "cafÃ© Ã¼ber â€œmojibakeâ€\x9d", "e\u0301 decomposed", "ok\nÃ© on line two\n“q”",
          "ＡＴ＆Ｔ ＆ａｍｐ；", "half ﾟ and “ﬁ”\r\n" * 3, "", "plain ascii"]


def test_same_result_as_ftfy_on_real_documents(sample_texts):
    """Skipping untouched documents and doing the character fixes of clean ones in whole-text
    string methods must never change what ftfy returns, with every fix on or some off."""
    texts = EDGE_TEXTS + TRICKY + sample_texts + ["\n".join(TRICKY)]
    assert kept_texts(juicer.operator("fix_unicode_mapper"), texts) == \
        [ftfy.fix_text(t, normalization="NFC") for t in texts]
    off = {"uncurl_quotes": False, "fix_character_width": False, "fix_line_breaks": False,
           "remove_control_chars": False}
    assert kept_texts(juicer.operator("fix_unicode_mapper", normalization="NFKC", ftfy=off),
                      texts) == [ftfy.fix_text(t, normalization="NFKC", **off) for t in texts]


def test_unknown_normalization_form_is_refused():
    with pytest.raises(ValueError, match="not a Unicode normalization form"):
        juicer.operator("fix_unicode_mapper", normalization="NFX")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("fix_unicode_mapper"))


def test_each_ftfy_fix_can_be_turned_off_and_the_docs_list_them():
    text = "“quoted” cafÃ© ﬁne Ａ"
    assert kept_texts(juicer.operator("fix_unicode_mapper"), [text]) == ['"quoted" café fine A']
    keep_quotes = juicer.operator("fix_unicode_mapper", ftfy={"uncurl_quotes": False,
                                                              "fix_latin_ligatures": False})
    assert kept_texts(keep_quotes, [text]) == ["“quoted” café ﬁne A"]
    with pytest.raises(Exception, match="unknown ftfy fix uncurl"):
        juicer.operator("fix_unicode_mapper", ftfy={"uncurl": False})
    doc = juicer.core.registry.get("fix_unicode_mapper").__doc__
    from juicer_operators.mappers.fix_unicode_mapper import FTFY_FIXES

    assert all(f"`{name}`" in doc for name in FTFY_FIXES)
