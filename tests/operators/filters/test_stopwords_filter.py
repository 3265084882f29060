import json

import pytest

import juicer
from juicer.text import wordlists
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, refined_words, stats_and_keep


def reference(text: str, vocabulary, aug_sizes=()) -> float:
    words = refined_words(text)
    words = words + ["".join(words[i:i + n]) for n in aug_sizes for i in range(len(words) - n + 1)]
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0


def test_hand_checked_ratios():
    stats, keep = stats_and_keep(juicer.operator("stopwords_filter"), [
        "", "The cat and the dog.", "Quantum chromodynamics lattice", "THE (OF) and, x"])
    # "the cat and the dog": the, and, the are stop words -> 3/5; case and punctuation ignored
    assert stats["stopwords_ratio"] == pytest.approx([0.0, 0.6, 0.0, 0.75])
    assert keep == [False, True, False, True]


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ru", "zh", "ja", "all"])
def test_matches_reference_on_real_documents(sample_texts, lang):
    texts = EDGE_TEXTS + sample_texts[:800]
    stats, _ = stats_and_keep(juicer.operator("stopwords_filter", lang=lang), texts)
    vocabulary = wordlists.load("stopwords", lang)
    assert stats["stopwords_ratio"] == pytest.approx(
        [reference(t, vocabulary) for t in texts], abs=1e-12)


def test_word_augmentation_counts_joined_groups():
    text = "我 们 是 学 生"
    op = juicer.operator("stopwords_filter", lang="zh", use_words_aug=True,
                         words_aug_group_sizes=[2])
    stats, _ = stats_and_keep(op, [text])
    vocabulary = wordlists.load("stopwords", "zh")
    assert "我们" in vocabulary
    assert stats["stopwords_ratio"] == [pytest.approx(reference(text, vocabulary, [2]))]
    assert stats["stopwords_ratio"][0] > 0


def test_users_own_lists_in_both_layouts(tmp_path):
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "en.txt").write_text("cat\ndog\n")
    (tmp_path / "dj").mkdir()
    (tmp_path / "dj" / "stopwords.json").write_text(json.dumps({"en": ["cat"], "fr": ["chat"]}))
    texts = ["cat dog bird", "chat"]
    own, _ = stats_and_keep(juicer.operator("stopwords_filter", stopwords_dir=str(tmp_path / "txt")), texts)
    dj, _ = stats_and_keep(juicer.operator("stopwords_filter", stopwords_dir=str(tmp_path / "dj"),
                                           lang="all"), texts)
    assert own["stopwords_ratio"] == pytest.approx([2 / 3, 0.0])
    assert dj["stopwords_ratio"] == pytest.approx([1 / 3, 1.0])


def test_unknown_language_is_refused_with_the_available_ones():
    with pytest.raises(ValueError, match="no stopwords list for language 'xx'.*available: .*en"):
        juicer.operator("stopwords_filter", lang="xx")


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("stopwords_filter", min_ratio=0))


def test_tokenization_finds_chinese_stop_words_between_unspaced_words():
    text = "我们是学生，他们也是学生。"
    spaced, _ = stats_and_keep(juicer.operator("stopwords_filter", lang="zh"), [text])
    segmented, _ = stats_and_keep(juicer.operator("stopwords_filter", lang="zh",
                                                  tokenization=True), [text])
    vocabulary = wordlists.load("stopwords", "zh")
    import jieba

    words = [w for w in jieba.cut(text) if w.strip("，。")]
    assert spaced["stopwords_ratio"] == [0.0]  # one "word": the whole sentence
    assert segmented["stopwords_ratio"] == [pytest.approx(sum(w in vocabulary for w in words) / len(words))]
    assert segmented["stopwords_ratio"][0] > 0
