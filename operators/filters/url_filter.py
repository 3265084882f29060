from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from juicer.core.batch import Batch, nested_field
from juicer.errors import OperatorError
from juicer.core.operator import Filter, OpParams, Rule

_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+")
# files of a block-list folder (datatrove's layout) and how their entries are read
_LIST_FILES = {"domains": "block_listed_domains", "urls": "block_listed_urls",
               "banned_words.txt": "banned_words", "banned_subwords.txt": "banned_subwords",
               "soft_banned_words.txt": "soft_banned_words"}
_REASONS = ["domain", "subdomain", "url", "hard_blacklisted", "soft_blacklisted",
            "blacklisted_subword"]


def normalize(text: str) -> str:
    return _NON_ALNUM.sub("", text).lower()


class UrlFilter(Filter):
    """Drop documents by their URL, deciding as datatrove's URLFilter does: the registered
    domain (`domain`) or the full host (`subdomain`) is block-listed; the URL itself is
    (`url`); a banned word is one of the URL's alphanumeric pieces (`hard_blacklisted`);
    `soft_word_threshold` or more soft-banned words are (`soft_blacklisted`); a banned
    subword occurs in the URL with everything but letters and digits removed and lowercased
    (`blacklisted_subword`). Word lists are matched lowercased and without punctuation.

    Lists come from the parameters and from `lists_dir`, a folder in datatrove's layout
    (`domains`, `urls`, `banned_words.txt`, `banned_subwords.txt`, `soft_banned_words.txt`;
    lines starting with `#` are comments), for example the UT1 block lists datatrove ships.
    Domains are split with the public suffix list bundled in `tldextract` (extra `url`;
    offline). Documents without a URL (or without the field) are kept unless
    `missing_url: drop`."""

    name = "url_filter"
    requires_packages = {"tldextract": "url"}
    stats = {"url_block_rule": pa.int8()}

    class Params(OpParams):
        url_key: str = Field("url", description="Field holding the URL; dots reach nested "
                             "fields.")
        soft_word_threshold: int = Field(2, ge=1, description="Soft-banned words that drop "
                                         "a URL together.")
        extra_domains: list[str] = Field([], description="Blocked domains or hosts.")
        extra_urls: list[str] = Field([], description="Blocked URLs.")
        banned_words: list[str] = Field([], description="Words that block a URL.")
        banned_subwords: list[str] = Field([], description="Substrings that block a URL.")
        soft_banned_words: list[str] = Field([], description="Words that block a URL when "
                                             "soft_word_threshold of them occur.")
        lists_dir: Optional[str] = Field(None, description="Folder of block lists in "
                                         "datatrove's layout.")
        missing_url: Literal["keep", "drop"] = Field("keep", description="What happens to "
                                                     "documents without a URL.")

    def setup(self) -> None:
        p = self.params
        lists = {"block_listed_domains": {d.strip() for d in p.extra_domains if d[:1] != "#"},
                 "block_listed_urls": {u.strip() for u in p.extra_urls if u[:1] != "#"},
                 "banned_words": {normalize(w) for w in p.banned_words if w[:1] != "#"},
                 "banned_subwords": {normalize(w) for w in p.banned_subwords if w[:1] != "#"},
                 "soft_banned_words": {normalize(w) for w in p.soft_banned_words if w[:1] != "#"}}
        if p.lists_dir:
            for file_name, kind in _LIST_FILES.items():
                path = Path(p.lists_dir) / file_name
                if path.is_file():
                    lines = [x for x in path.read_text("utf-8").splitlines() if x[:1] != "#"]
                    lists[kind] |= {x.strip() if kind.startswith("block") else normalize(x)
                                    for x in lines}
        self.lists = lists
        subwords = sorted(w for w in lists["banned_subwords"] if w)
        self.subword_pattern = "|".join(re.escape(w) for w in subwords) if subwords else None

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        if len(batch) == 0:
            return {"url_block_rule": pa.array([], pa.int8())}
        try:
            urls = nested_field(batch.table, self.params.url_key).cast(pa.string())
        except OperatorError:  # no such field in these documents: they have no URL
            urls = pa.nulls(len(batch), pa.string())
        rule = np.zeros(len(batch), dtype=np.int8)  # 0 kept, -1 no URL, k: _REASONS[k-1]
        subword_hits = np.zeros(len(batch), dtype=bool)
        if self.subword_pattern:
            normalized = pa.array([normalize(u) if u else "" for u in urls.to_pylist()], pa.string())
            subword_hits = pc.match_substring_regex(normalized, self.subword_pattern).to_numpy(
                zero_copy_only=False)
        for index, url in enumerate(urls.to_pylist()):
            rule[index] = -1 if not url else self._rule(url, subword_hits[index])
        return {"url_block_rule": pa.array(rule)}

    def _rule(self, url: str, subword_hit: bool) -> int:
        lists = self.lists
        registered, fqdn = _domains(url)
        if registered in lists["block_listed_domains"]:
            return 1
        if fqdn in lists["block_listed_domains"]:
            return 2
        if url in lists["block_listed_urls"]:
            return 3
        words = set(_NON_ALNUM.split(url))
        if any(word in words for word in lists["banned_words"]):
            return 4
        if sum(word in words for word in lists["soft_banned_words"]) >= self.params.soft_word_threshold:
            return 5
        return 6 if subword_hit else 0

    def rules(self):
        rules = [Rule(reason, "url_block_rule", "!=", code)
                 for code, reason in enumerate(_REASONS, start=1)]
        if self.params.missing_url == "drop":
            rules.insert(0, Rule("no_url", "url_block_rule", "!=", -1))
        return rules


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # the public suffix list bundled with tldextract: nothing is fetched
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=1 << 16)
def _domains(url: str) -> tuple[str, str]:
    parts = _extractor()(url)
    if hasattr(parts, "top_domain_under_public_suffix"):  # tldextract >= 5.3
        return parts.top_domain_under_public_suffix, parts.fqdn
    return parts.registered_domain, parts.fqdn
