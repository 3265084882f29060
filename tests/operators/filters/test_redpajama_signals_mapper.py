"""RedPajama-v2's signal definitions written plainly (one document at a time, as in its
repository), compared with the vectorized operator on the real sample."""
import math
import re
import string
import unicodedata
from collections import Counter

import pytest

import juicer
from juicer.text import wordlists
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, stats_and_keep


def normalize(text):
    text = text.translate(str.maketrans("", "", string.punctuation)).lower().strip()
    return unicodedata.normalize("NFD", re.sub(r"\s+", " ", text))


def grams(words, n):
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def reference(text, stop_words, bad_words):
    raw = re.findall(r"\w+|[^\w\s]+", text)
    norm = normalize(text).split()
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    chars = sum(map(len, norm))
    r = lambda x: None if x is None else round(x, 8)  # noqa: E731
    out = {
        "rps_doc_num_sentences": float(len(re.findall(r"\b[^.!?]+[.!?]*", text))),
        "rps_doc_word_count": float(len(norm)),
        "rps_doc_mean_word_length": r(chars / len(norm)) if norm else None,
        "rps_doc_symbol_to_word_ratio": r(sum(text.count(s) for s in ("#", "...", "…")) / len(raw)) if raw else None,
        "rps_doc_frac_lines_end_with_ellipsis": r(sum(l.rstrip().endswith(("...", "…")) for l in lines) / len(lines)) if lines else None,
        "rps_doc_frac_no_alph_words": r(1 - sum(bool(re.search("[a-zA-Z]", w)) for w in raw) / len(raw)) if raw else None,
        "rps_doc_frac_unique_words": r(len(set(norm)) / len(norm)) if norm else None,
        "rps_doc_unigram_entropy": r(sum(-c / len(norm) * math.log(c / len(norm)) for c in Counter(norm).values())) if norm else None,
        "rps_doc_frac_all_caps_words": r(sum(map(str.isupper, raw)) / len(raw)) if raw else None,
        "rps_doc_stop_word_fraction": r(sum(w in stop_words for w in raw) / len(raw)) if norm else 0.0,
        "rps_doc_curly_bracket": r((text.count("{") + text.count("}")) / len(text)) if text else 0.0,
        "rps_doc_ldnoobw_words": float(sum(" ".join(g) in bad_words for n in {1 + w.count(" ") for w in bad_words} for g in grams(norm, n))),
    }
    content = normalize(text)
    out["rps_doc_lorem_ipsum"] = r(len(re.findall("lorem ipsum", content, re.I)) / len(content)) if content else 0.0
    for n in (2, 3, 4):
        common = Counter(grams(norm, n)).most_common(1)
        value = 0.0
        if common and common[0][1] > 1:
            value = r(sum(map(len, common[0][0])) * common[0][1] / chars)
        out[f"rps_doc_frac_chars_top_{n}gram"] = value
    for n in range(5, 11):
        value = 0.0
        if len(norm) >= n and chars:
            doc_grams = grams(norm, n)
            dupes = {g for g, c in Counter(doc_grams).items() if c > 1}
            covered = [0] * len(norm)
            for i, g in enumerate(doc_grams):
                if g in dupes:
                    covered[i:i + n] = [1] * n
            value = r(sum(len(w) * c for w, c in zip(norm, covered)) / chars)
        out[f"rps_doc_frac_chars_dupe_{n}grams"] = value
    normalized_lines = [normalize(l) for l in lines]
    out["rps_lines_ending_with_terminal_punctution_mark"] = [float(l.rstrip().endswith((".", "!", "?", "”"))) for l in lines]
    out["rps_lines_javascript_counts"] = [float(sum(w == "javascript" for w in l.split())) for l in normalized_lines]
    out["rps_lines_num_words"] = [float(len(l.split())) for l in normalized_lines]
    out["rps_lines_numerical_chars_fraction"] = [r(sum(map(str.isnumeric, l)) / len(l)) if l else 0.0 for l in normalized_lines]
    out["rps_lines_start_with_bulletpoint"] = [float(l.lstrip().startswith(tuple("\u2022\u2023\u25b6\u25c0\u25e6\u25a0\u25a1\u25aa\u25ab\u2013"))) for l in lines]
    out["rps_lines_uppercase_letter_fraction"] = [r(sum(map(str.isupper, l)) / len(l)) if l else 0.0 for l in lines]
    return out


def test_hand_checked_signals():
    stats, keep = stats_and_keep(juicer.operator("redpajama_signals_mapper"),
                                 ["THE CAT... sat.\n• item\n{x}"])
    assert keep == [True]
    assert stats["rps_doc_word_count"] == [6.0]  # the cat sat • item x
    assert stats["rps_doc_frac_all_caps_words"] == [0.2]  # THE, CAT of 10 WordPunct tokens
    assert stats["rps_doc_frac_no_alph_words"] == [0.5]  # ... . • { }
    assert stats["rps_doc_curly_bracket"] == [pytest.approx(2 / 26)]
    assert stats["rps_lines_start_with_bulletpoint"] == [[0.0, 1.0, 0.0]]


def test_matches_the_definitions_on_real_documents(sample_texts):
    texts = EDGE_TEXTS + sample_texts[:700]
    stats, keep = stats_and_keep(juicer.operator("redpajama_signals_mapper"), texts)
    assert all(keep)
    stop_words = wordlists.load("stopwords", "en")
    bad_words = wordlists.load("flagged_words", "en")
    for index, text in enumerate(texts):
        expected = reference(text, stop_words, bad_words)
        for name, value in expected.items():
            got = stats[name][index]
            assert got == pytest.approx(value, abs=1e-8), (index, name, text[:100])


def test_signals_then_thresholds(sample_rows):
    steps = [juicer.operator("redpajama_signals_mapper"),
             juicer.operator("stats_filter", stat="rps_doc_word_count", min_value=50),
             juicer.operator("stats_filter", stat="rps_doc_frac_unique_words", min_value=0.3)]
    result = juicer.apply(sample_rows, steps, detailed=True)
    assert result.counts["kept"] + result.counts["dropped"] == len(sample_rows)
    assert 0 < result.counts["dropped"] < len(sample_rows)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("redpajama_signals_mapper"))
