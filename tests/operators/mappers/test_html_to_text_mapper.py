import juicer
from tests.operators.helpers import check_null_is_quarantined, kept_texts

PAGE = """<html><head><title>T</title><style>p {color: red}</style></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Headline</h1><p>The first paragraph of the article, long enough to be content.</p>
<p>A second paragraph &amp; more text.</p></article>
<footer>Copyright 2024 Example Inc. All rights reserved.</footer></body></html>"""


def test_main_content_drops_navigation_and_footer():
    text = kept_texts(juicer.operator("html_to_text_mapper"), [PAGE])[0]
    assert "Headline" in text and "first paragraph of the article" in text
    assert "second paragraph & more text." in text
    assert "Home" not in text and "All rights reserved" not in text and "color" not in text


def test_whole_page_keeps_navigation():
    text = kept_texts(juicer.operator("html_to_text_mapper", main_content=False), [PAGE])[0]
    assert "Home" in text and "Headline" in text


def test_plain_text_and_empty_input(sample_texts):
    assert kept_texts(juicer.operator("html_to_text_mapper"), ["", "just words"]) == ["", "just words"]


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("html_to_text_mapper"))
