"""Benchmark decontamination: documents sharing word 13-grams with a test set are dropped;
stats equal a plain Python count of shared n-grams."""
from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import juicer
from tests.conftest import write_recipe

OP = "ngram_decontamination_filter"


def words(text: str) -> list[str]:
    return re.sub(r"[\W_]+", " ", text.lower()).split()


def reference_counts(texts: list[str], benchmark: list[str], n: int = 13) -> list[int]:
    grams = {tuple(w[i:i + n]) for t in benchmark for w in [words(t)]
             for i in range(len(w) - n + 1)}
    return [len({tuple(w[i:i + n]) for i in range(len(w) - n + 1)} & grams)
            for w in map(words, texts)]


@pytest.fixture(scope="module")
def benchmark(sample_texts) -> list[str]:
    """Questions quoting 20-word windows of three real documents, in other casing."""
    questions = []
    for text in (sample_texts[10], sample_texts[200], sample_texts[1500]):
        quoted = " ".join(text.split()[5:25]).upper()
        questions.append(f"Q: What follows? {quoted} ...")
    return questions + ["A short question that has too few words."]


def test_drops_documents_quoting_the_benchmark(tmp_path, sample_texts, benchmark):
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps({"question": q, "answer": "B"}) + "\n" for q in benchmark))
    op = juicer.operator(OP, benchmark_path=str(path), benchmark_fields=["question", "answer"])
    result = juicer.apply([{"text": t} for t in sample_texts], op, detailed=True, keep_stats=True)
    expected = reference_counts(sample_texts, benchmark)
    stats = {r["text"]: r["__stats__"][OP]["benchmark_ngrams"]
             for r in result.kept + result.dropped}
    assert [stats[t] for t in sample_texts] == expected
    assert {r["text"] for r in result.dropped} == {t for t, c in zip(sample_texts, expected) if c}
    assert {sample_texts[10], sample_texts[200], sample_texts[1500]} <= \
        {r["text"] for r in result.dropped}
    assert all(r["__drop_reason__"] == f"{OP}:contaminated" for r in result.dropped)


def test_text_and_parquet_benchmarks_and_max_overlap(tmp_path, sample_texts, benchmark):
    text_file = tmp_path / "bench.txt"
    text_file.write_text("\n".join(benchmark) + "\n")
    parquet_file = tmp_path / "bench.parquet"
    pq.write_table(pa.table({"text": benchmark}), parquet_file)
    rows = [{"text": t} for t in sample_texts[:300]]
    for path in (text_file, parquet_file):
        assert len(juicer.apply(rows, juicer.operator(OP, benchmark_path=str(path)))) == 298
    loose = juicer.operator(OP, benchmark_path=str(text_file), max_overlap=1000)
    assert len(juicer.apply(rows, loose)) == 300


def test_benchmark_path_is_relative_to_the_recipe_and_checked(tmp_path, benchmark):
    (tmp_path / "bench.txt").write_text("\n".join(benchmark))
    recipe = write_recipe(tmp_path, [{"op": OP, "params": {"benchmark_path": "bench.txt"}}],
                          paths=["in.jsonl"])
    loaded = juicer.load_recipe(recipe)
    assert loaded.pipeline[0].params["benchmark_path"] == str(tmp_path / "bench.txt")
    missing = write_recipe(tmp_path / "other", [{"op": OP, "params": {
        "benchmark_path": "nope.jsonl"}}], paths=["in.jsonl"])
    with pytest.raises(juicer.RecipeError, match="nope.jsonl' does not exist"):
        juicer.load_recipe(missing)
