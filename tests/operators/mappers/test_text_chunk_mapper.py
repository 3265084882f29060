import re

import pytest

import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined


def chunks(op, text):
    return [row["text"] for row in op([{"text": text}])]


def reference(text, max_len, pattern, overlap):
    """Data-Juicer's chunking rules, written plainly (recursion unrolled)."""
    if max_len is None:
        return [t for t in re.split(pattern, text) if t is not None and t.strip()] or [text]
    if pattern is None:
        if len(text) <= max_len:
            return [text]
        return [text[s:s + max_len] for s in range(0, len(text), max_len - overlap)]
    out = []
    while len(text) > max_len:
        head = text[:max_len]
        found = list(re.finditer(pattern, head))
        if not found or found[-1].end() == 0:
            current, text = head, text[max_len - overlap:]
        else:
            current, text = head[:found[-1].start()], text[found[-1].end():]
        if current.strip():
            out.append(current)
    return out + [text]


def test_hand_checked_chunks():
    assert chunks(juicer.operator("text_chunk_mapper"), "a\n\nb\n\n\n\nc") == ["a", "b", "c"]
    windows = juicer.operator("text_chunk_mapper", max_len=4, split_pattern=None, overlap_len=1)
    assert chunks(windows, "abcdefghij") == ["abcd", "defg", "ghij", "j"]
    both = juicer.operator("text_chunk_mapper", max_len=10, split_pattern=r"\n")
    assert chunks(both, "line one\nline two is long\nx") == ["line one", "line two i", "s long\nx"]
    assert chunks(juicer.operator("text_chunk_mapper"), "  ") == ["  "]  # kept as it is


@pytest.mark.parametrize("max_len, pattern, overlap", [
    (None, r"\n\n", 0), (500, None, 0), (500, None, 100), (800, r"\n", 0), (300, r"[.!?] ", 20)])
def test_matches_data_juicer_rules_on_real_documents(sample_texts, max_len, pattern, overlap):
    op = juicer.operator("text_chunk_mapper", max_len=max_len, split_pattern=pattern,
                         overlap_len=overlap)
    texts = EDGE_TEXTS + sample_texts[:400]
    got = [row["text"] for row in op([{"text": t} for t in texts])]
    assert got == [c for t in texts for c in reference(t, max_len, pattern, overlap)]


def test_other_fields_are_copied_and_the_index_written():
    op = juicer.operator("text_chunk_mapper", chunk_index_key="part")
    assert op([{"id": 7, "text": "a\n\nb"}]) == [{"id": 7, "text": "a", "part": 0},
                                                 {"id": 7, "text": "b", "part": 1}]


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="give max_len, split_pattern or both"):
        juicer.operator("text_chunk_mapper", split_pattern=None)
    with pytest.raises(ValueError, match="overlap_len"):
        juicer.operator("text_chunk_mapper", max_len=10, overlap_len=10)
    with pytest.raises(ValueError, match="tokenizer"):
        juicer.operator("text_chunk_mapper", tokenizer="gpt-4o")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("text_chunk_mapper"))


def test_split_pattern_with_a_group_keeps_what_python_keeps():
    op = juicer.operator("text_chunk_mapper", split_pattern=r"(--)")
    assert chunks(op, "a--b") == ["a", "--", "b"]  # re.split returns the group's text


@pytest.mark.parametrize("settings", [{"max_len": 5000}, {"max_len": None}])
def test_a_pathological_pattern_runs_in_linear_time(settings):
    """(a|aa)+$ backtracks exponentially in Python's re on 'aaa...b'; RE2 answers at once
    (with max_len, through google-re2; with a group and no max_len too)."""
    import multiprocessing

    text = "a" * 40 + "b\n" + "a" * 8000
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pending = pool.apply_async(_chunk_with_slow_pattern, (text, settings))
        got = pending.get(timeout=60)  # Python's re would take hours on the first line
    assert "".join(got) == text.replace("\n", "")
    assert got[0] == "a" * 40 + "b"


def _chunk_with_slow_pattern(text, settings):
    op = juicer.operator("text_chunk_mapper", split_pattern=r"((a|aa)+$)?\n", **settings)
    return chunks(op, text)
