import juicer
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    op = juicer.operator("clean_html_mapper")
    assert kept_texts(op, [
        "<p>Fish &amp; chips</p>", "<ul><li>one</li><li>two</li></ul>", "no markup", "",
        "<div>a<br>b</div>"]) == ["Fish & chips", "\n*one\n*two", "no markup", "", "ab"]


def test_real_documents_without_markup_are_unchanged(sample_texts):
    plain = [t for t in sample_texts if "<" not in t and "&" not in t][:300]
    assert kept_texts(juicer.operator("clean_html_mapper"), plain) == plain


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("clean_html_mapper"))
