"""Each kernel must reproduce the Python `str` semantic it stands for, on hand-picked edge
cases and on 2,500 real documents."""
import sys

import numpy as np
import pyarrow as pa
import pytest

from juicer.text import kernels
from tests.conftest import EDGE_TEXTS


@pytest.fixture(scope="module")
def texts(sample_texts):
    return EDGE_TEXTS + sample_texts


def test_code_points_round_trip_on_a_sliced_array(texts):
    array = pa.array(texts).slice(3, 200)
    cps, offsets = kernels.code_points(array)
    for row, text in enumerate(texts[3:203]):
        assert "".join(map(chr, cps[offsets[row]:offsets[row + 1]])) == text


def test_code_points_of_empty_strings_only():
    cps, offsets = kernels.code_points(pa.array(["", ""]))
    assert len(cps) == 0 and offsets.tolist() == [0, 0, 0]


@pytest.mark.parametrize("predicate", ["isalnum", "isspace", "isdigit"])
def test_count_in_class_matches_str_methods(texts, predicate):
    counts = kernels.count_in_class(kernels.code_points(pa.array(texts)),
                                    kernels.class_table(predicate))
    method = getattr(str, predicate)
    assert counts.tolist() == [sum(method(c) for c in t) for t in texts]


def test_class_table_covers_every_code_point():
    table = kernels.class_table("isalnum")
    assert len(table) == sys.maxunicode + 1
    assert table[ord("ß")] and table[ord("٣")] and table[ord("五")]
    assert not table[ord(" ")] and not table[ord("😀")] and not table[ord("-")]


def test_special_characters_hold_punctuation_digits_whitespace_and_emoji():
    special = kernels.special_characters()
    for char in "!?.,;:0123456789 \n\t$€%&*😀👍“”«»":
        assert char in special, repr(char)
    for char in "aZßé日":
        assert char not in special, repr(char)


def test_char_length_counts_code_points(texts):
    assert kernels.char_length(pa.array(texts)).tolist() == [len(t) for t in texts]


def test_line_count_is_len_splitlines(texts):
    assert kernels.line_count(pa.array(texts)).tolist() == [len(t.splitlines()) for t in texts]


def test_line_lengths_give_splitlines_max_and_sum(texts):
    lengths = kernels.line_lengths(pa.array(texts))
    expected_max = [max((len(line) for line in t.splitlines()), default=0) for t in texts]
    expected_sum = [sum(len(line) for line in t.splitlines()) for t in texts]
    assert kernels.max_per_row(lengths).tolist() == expected_max
    assert kernels.sum_per_row(lengths).tolist() == expected_sum


def test_strip_python_whitespace_is_str_strip(texts):
    every_space = kernels.python_whitespace()
    cases = texts + [every_space, every_space + "x" + every_space, "\u200bx\u200b"]
    assert kernels.strip_python_whitespace(pa.array(cases)).to_pylist() == \
        [t.strip() for t in cases]


def test_count_tokens_with_counts_tokens_holding_a_wanted_char(texts):
    separators = np.zeros(sys.maxunicode + 1, dtype=bool)
    separators[[ord(" "), ord("\n"), ord("\t")]] = True
    wanted = kernels.class_table("isalpha")
    import re

    def reference(text):
        return sum(any(c.isalpha() for c in token) for token in re.split("[ \n\t]", text))

    counts = kernels.count_tokens_with(kernels.code_points(pa.array(texts)), separators, wanted)
    assert counts.tolist() == [reference(t) for t in texts]


def test_safe_ratio_is_zero_for_zero_denominators():
    assert kernels.safe_ratio(np.array([1, 0, 3]), np.array([2, 0, 0])).tolist() == [0.5, 0, 0]


def test_count_matches_counts_non_overlapping():
    assert kernels.count_matches(pa.array(["aaaa", "", "abab"]), "aa").tolist() == [2, 0, 0]


@pytest.mark.parametrize("n", [1, 3, 10, 40])
def test_window_hashes_are_the_span_hashes_of_every_window(texts, n):
    from juicer.text.shingles import span_hashes, window_hashes

    cps, _ = kernels.code_points(pa.array(texts[:50]))
    starts = np.arange(max(len(cps) - n + 1, 0))
    assert np.array_equal(window_hashes(cps, n), span_hashes(cps, starts, starts + n))
    assert len(window_hashes(cps[:n - 1], n)) == 0


def test_gram_frequencies_agree_whichever_key_is_sorted(texts):
    """Batches where one document holds most grams sort salted 64-bit keys, the rest
    sort the document packed above the gram hash: the counts are the same."""
    from juicer.text import words

    def as_set(found):
        return sorted(zip(*(a.tolist() for a in found)))

    grams = words.refined_words(pa.array(texts)).ngrams(2)
    assert words._packable(grams)
    salted_doc, salted_count = words._frequencies_salted(grams)
    assert as_set(words.frequencies(grams)) == as_set((salted_doc, salted_count))
    repeated = salted_count > 1
    assert as_set(words.repeated_grams(grams)) == \
        as_set((salted_doc[repeated], salted_count[repeated]))

    hashes = np.random.default_rng(0).integers(0, 2**20, 5_000_001, dtype=np.uint64)
    one_giant = words.Words(hashes, (np.arange(len(hashes)) == len(hashes) - 1).astype(np.int64), 2)
    assert not words._packable(one_giant)
    doc, count = words.repeated_grams(one_giant)
    unique, counts = np.unique(hashes[:-1], return_counts=True)
    assert sorted(count.tolist()) == sorted(counts[counts > 1].tolist()) and set(doc) == {0}


def test_a_spacy_language_without_its_package_names_the_package_and_extra():
    import importlib.util

    from juicer.errors import MissingDependencyError
    from juicer.text.segmenters import _spacy_tokenizer

    if importlib.util.find_spec("pyvi") is not None:
        pytest.skip("pyvi is installed here")
    with pytest.raises(MissingDependencyError, match=r"(?s)needs the package 'pyvi'.*juicer-llm\[vi\]"):
        _spacy_tokenizer("vi")
