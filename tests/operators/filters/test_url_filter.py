import juicer
from tests.operators.helpers import assert_same_decisions, check_null_is_quarantined

# the block lists tools/build_parity_fixtures gave datatrove
URL_LISTS = dict(extra_domains=["nbcnews.com", "news.bbc.co.uk", "theguardian.com"],
                 extra_urls=["https://www.msn.com/en-us/news/us/doctors-offer-to-give-free-flu-shots-"
                             "to-detained-migrants-warn-of-epidemic/ar-BBWZedJ?srcref=rss"],
                 banned_words=["Sport", "video"], soft_banned_words=["news", "world", "politics"],
                 banned_subwords=["crime", "election"])


def reasons(op, urls):
    result = juicer.apply([{"text": "x", "url": u} for u in urls], op, detailed=True)
    by_url = {r["url"]: True for r in result.kept}
    by_url.update({r["url"]: r["__drop_reason__"].split(":")[1] for r in result.dropped})
    return [by_url[u] for u in urls]


def test_hand_checked_reasons():
    op = juicer.operator("url_filter", **URL_LISTS)
    assert reasons(op, [
        "https://www.nbcnews.com/a", "http://news.bbc.co.uk/b", "https://bbc.co.uk/c",
        "https://x.org/watch/video/1", "https://x.org/world-news/2", "https://x.org/CrimeScene",
        "https://x.org/fine"]) == [
        "domain", "subdomain", True, "hard_blacklisted", "soft_blacklisted",
        "blacklisted_subword", True]


def test_lists_from_a_folder(tmp_path):
    (tmp_path / "domains").write_text("# comment\nexample.com\n")
    (tmp_path / "banned_words.txt").write_text("casino\n")
    op = juicer.operator("url_filter", lists_dir=str(tmp_path))
    assert reasons(op, ["https://a.example.com/x", "https://b.org/casino-royale", "https://b.org/"]) == [
        "domain", "hard_blacklisted", True]


def test_documents_without_url():
    rows = [{"text": "x", "url": None}]
    assert len(juicer.operator("url_filter", **URL_LISTS)(rows)) == 1
    dropped = juicer.apply(rows, juicer.operator("url_filter", missing_url="drop"), detailed=True)
    assert dropped.dropped[0]["__drop_reason__"] == "url_filter:no_url"


def test_keeps_exactly_what_datatrove_keeps(sample_rows):
    assert_same_decisions(juicer.operator("url_filter", **URL_LISTS),
                          [r for r in sample_rows if r["url"]], "url", "")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("url_filter"))
