import hashlib

import juicer


def test_keeps_the_first_of_each_duplicate_group():
    rows = [{"id": i, "text": t} for i, t in enumerate(
        ["alpha", "beta", "alpha", " alpha\n", "Alpha", "beta", "gamma"])]
    result = juicer.apply(rows, "document_deduplicator", detailed=True, keep_stats=True)
    assert [r["id"] for r in result.kept] == [0, 1, 4, 6]
    stats = "document_deduplicator"
    assert [(r["id"], r["__stats__"][stats]["dup_cluster"], r["__stats__"][stats][
        "dup_cluster_size"], r["__drop_reason__"]) for r in result.dropped] == [
        (2, 0, 3, "document_deduplicator:duplicate"), (3, 0, 3, "document_deduplicator:duplicate"),
        (5, 1, 2, "document_deduplicator:duplicate")]
    # kept documents carry their cluster too (null when in none)
    assert [(r["id"], r["__stats__"][stats]["dup_cluster"]) for r in result.kept] == [
        (0, 0), (1, 1), (4, None), (6, None)]
    summary = result.steps[0]["dedup"]
    assert (summary["duplicates"], summary["clusters"], summary["cluster_sizes"]) == \
        (3, 2, {"2": 1, "3": 1})
    # members, first the kept one; the word-set similarity of exact duplicates is 1
    assert summary["largest_clusters"] == [
        {"size": 3, "kept_row": 0, "samples": ["alpha", "alpha"],
         "members": [{"row": 0, "similarity": 1.0, "text": "alpha"},
                     {"row": 2, "similarity": 1.0, "text": "alpha"},
                     {"row": 3, "similarity": 1.0, "text": " alpha\n"}]},
        {"size": 2, "kept_row": 1, "samples": ["beta", "beta"],
         "members": [{"row": 1, "similarity": 1.0, "text": "beta"},
                     {"row": 5, "similarity": 1.0, "text": "beta"}]}]
    assert summary["similarity_measure"] == "word_jaccard"


def test_annotate_keeps_everything_and_marks_clusters():
    rows = [{"text": t} for t in ["a", "b", "a", "a"]]
    result = juicer.apply(rows, juicer.operator("document_deduplicator", annotate=True),
                          detailed=True, keep_stats=True)
    assert len(result.kept) == 4 and len(result.dropped) == 0
    assert [r["__stats__"]["document_deduplicator"] for r in result.kept] == [
        {"dup_cluster": 0, "dup_cluster_size": 3}, {"dup_cluster": None, "dup_cluster_size": None},
        {"dup_cluster": 0, "dup_cluster_size": 3}, {"dup_cluster": 0, "dup_cluster_size": 3}]


def test_lowercase_and_ignore_non_character():
    rows = [{"text": t} for t in ["Hello, World 1!", "hello world", "HELLO WORLD 2", "other"]]
    assert len(juicer.apply(rows, juicer.operator("document_deduplicator"))) == 4
    assert [r["text"] for r in juicer.apply(rows, juicer.operator(
        "document_deduplicator", lowercase=True, ignore_non_character=True))] == \
        ["Hello, World 1!", "other"]


def test_empty_texts_are_duplicates_of_each_other():
    kept = juicer.apply([{"text": ""}, {"text": "  "}, {"text": "x"}], "document_deduplicator")
    assert [r["text"] for r in kept] == ["", "x"]


def test_matches_md5_grouping_on_real_documents(sample_rows):
    seen, expected = set(), []
    for row in sample_rows:
        digest = hashlib.md5(row["text"].strip().encode()).digest()
        if digest not in seen:
            seen.add(digest)
            expected.append(row["id"])
    kept = juicer.apply(sample_rows, "document_deduplicator")
    assert [r["id"] for r in kept] == expected
    assert len(expected) < len(sample_rows)  # the sample has real duplicates
