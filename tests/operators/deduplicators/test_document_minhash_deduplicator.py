"""MinHash LSH dedup: datasketch bit-identity, shingling semantics, accuracy against brute
force, verification, short and CJK documents."""
from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

import juicer
from juicer.text.minhash import optimal_param, signatures
from juicer.text.shingles import (TOKENIZATIONS, reference_shingles, rolling64, sha1_hash32,
                             shingle_hashes)
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import cluster_firsts

OP = "document_minhash_deduplicator"
HASHES = {"rolling64": rolling64, "sha1": sha1_hash32}


@pytest.fixture(scope="module")
def texts(sample_texts):
    return [t.lower() for t in sample_texts[:150]] + EDGE_TEXTS + ["a b", "x", "中文文本测试，再来一句。"]


@pytest.mark.parametrize("tokenization", TOKENIZATIONS)
@pytest.mark.parametrize("window", [1, 3, 5])
def test_vectorized_shingles_are_the_reference_shingles(texts, tokenization, window):
    for name, function in HASHES.items():
        shingles = shingle_hashes(texts, tokenization, window, name)
        for index, text in enumerate(texts):
            assert set(shingles.hashes[shingles.doc == index].tolist()) == \
                {function(s) for s in reference_shingles(text, tokenization, window)}


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("hash_func", sorted(HASHES))
@pytest.mark.parametrize("num_perm,seed", [(128, 42), (256, 1), (7, 12345)])
def test_signatures_are_bit_identical_to_datasketch(texts, scheme, hash_func, num_perm, seed):
    shingles = shingle_hashes(texts, "space", 5, hash_func)
    ours = signatures(shingles, num_perm, seed, scheme)
    function = HASHES[hash_func]
    if scheme == "affine32":  # the scheme takes 32-bit hashes: the low half of rolling64
        function = (lambda data: rolling64(data) & 0xFFFFFFFF) if hash_func == "rolling64" \
            else function
    for index, text in enumerate(texts):
        tokens = reference_shingles(text, "space", 5)
        if not tokens:
            continue
        theirs = MinHash(num_perm=num_perm, seed=seed, hashfunc=function, scheme=scheme)
        theirs.update_batch(list(tokens))
        assert np.array_equal(theirs.hashvalues, ours[index].astype(theirs.hashvalues.dtype))


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95])
@pytest.mark.parametrize("num_perm", [32, 128, 256])
def test_band_parameters_are_datasketchs_optimum(threshold, num_perm):
    assert optimal_param(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def edited(text: str, share: float, rng: random.Random) -> str:
    words = text.split(" ")
    for position in rng.sample(range(len(words)), max(1, int(len(words) * share))):
        words[position] = rng.choice(["zebra", "quartz", "lorem", "ipsum"])
    return " ".join(words)


@pytest.fixture(scope="module")
def planted(sample_rows):
    """Real documents with edited copies planted at random places, and the true clusters:
    connected components of all pairs whose Jaccard similarity is >= 0.7 (brute force)."""
    rng = random.Random(7)
    base = [r["text"] for r in sample_rows if len(r["text"].split(" ")) >= 80][:250]
    rows = [{"id": f"doc{i}", "text": t} for i, t in enumerate(base)]
    for k in range(40):
        copy = {"id": f"copy{k}", "text": edited(base[(k * 37) % len(base)],
                                                 rng.choice([0.005, 0.01, 0.02]), rng)}
        rows.insert(rng.randrange(len(rows) + 1), copy)
    sets = [reference_shingles(r["text"].lower(), "space", 5) for r in rows]

    def similar(i: int, j: int) -> bool:
        small, large = sorted((len(sets[i]), len(sets[j])))
        return small >= 0.7 * large and len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.7
    # every document that is not the first of its true cluster
    duplicates = {row["id"] for row, first in zip(rows, cluster_firsts(len(rows), similar))
                  if not first}
    return rows, duplicates


def test_finds_planted_near_duplicates_with_perfect_precision(planted):
    rows, truth = planted
    result = juicer.apply(rows, juicer.operator(OP, num_permutations=128, num_bands=16,
                                                num_rows_per_band=8), detailed=True)
    found = {r["id"] for r in result.dropped}
    assert len(truth) >= 40
    assert found <= truth  # verified: never a false positive
    assert len(found & truth) / len(truth) >= 0.95
    summary = result.steps[0]["dedup"]
    assert summary["duplicates"] == len(found)
    assert summary["verification"]["checked"] >= len(found)


def test_without_verification_lsh_collisions_become_clusters():
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(60)]
    rows = [{"text": " ".join(rng.choice(vocabulary) for _ in range(40))} for _ in range(30)]
    loose = dict(num_permutations=32, num_bands=32, num_rows_per_band=1, window_size=1)
    unverified = juicer.apply(rows, juicer.operator(OP, verify=False, **loose), detailed=True)
    verified = juicer.apply(rows, juicer.operator(OP, **loose), detailed=True)
    assert len(unverified.dropped) > 10  # one shared band value is enough for LSH
    assert len(verified.dropped) < len(unverified.dropped)
    check = verified.steps[0]["dedup"]["verification"]
    assert check["rejected"] > 0
    sample = check["rejected_samples"][0]
    assert sample["similarity"] < 0.7 and sample["text"] and sample["other_text"]


def test_short_documents_are_one_shingle_not_lumped_together():
    rows = [{"text": t} for t in ["red apple", "green pear", "blue sky", "red apple", "x", ""]]
    kept = juicer.apply(rows, OP)
    # distinct short texts survive; the repeated one goes; empty text has no shingles
    assert [r["text"] for r in kept] == ["red apple", "green pear", "blue sky", "x", ""]


def test_cjk_near_duplicates(sample_rows):
    original = ("今天天气很好，我们一起去公园散步。公园里有很多人在锻炼身体，有的人在跑步，有的人在打太极拳。"
                "孩子们在草地上玩耍，老人们坐在长椅上聊天。这是一个美好的周末。") * 3
    changed = original.replace("美好", "愉快", 1)
    other = "机器学习是人工智能的一个分支，它使计算机能够从数据中学习而无需明确编程。" * 4
    rows = [{"text": t} for t in (original, other, changed)]
    for tokenization, window in (("character", 5), ("cjk", 5)):
        kept = juicer.apply(rows, juicer.operator(OP, tokenization=tokenization,
                                                  window_size=window))
        assert [r["text"] for r in kept] == [original, other], tokenization
    # Data-Juicer's space tokenization sees each unspaced Chinese text as a single token
    assert len(juicer.apply(rows, juicer.operator(OP, tokenization="space"))) == 3


def test_data_juicer_parameters_and_clear_errors():
    op = juicer.operator(OP, jaccard_threshold=0.8, num_permutations=128, verify=False)
    op.ensure_setup()
    assert (op.bands, op.rows) == _optimal_param(0.8, 128, 0.5, 0.5)  # Data-Juicer's choice
    verified = juicer.operator(OP, jaccard_threshold=0.8, num_permutations=128)
    verified.ensure_setup()  # candidates are checked: weigh missed pairs more
    assert (verified.bands, verified.rows) == _optimal_param(0.8, 128, 0.1, 0.9)
    with pytest.raises(Exception, match="exceeds num_permutations"):
        juicer.operator(OP, num_permutations=64, num_bands=16, num_rows_per_band=8)
    with pytest.raises(Exception, match="set both num_bands and num_rows_per_band"):
        juicer.operator(OP, num_bands=16)
    with pytest.raises(Exception, match="not a valid regular expression"):
        juicer.operator(OP, ignore_pattern="(")
    with pytest.raises(Exception, match="not a valid regular expression"):
        juicer.operator(OP, ignore_pattern=r"(a)\1")  # backreferences: not linear-time
    with pytest.raises(Exception, match="tokenization"):
        juicer.operator(OP, tokenization="sentencepiece")


def test_ignore_pattern_and_lowercase():
    rows = [{"text": "The quick brown fox jumps [1]"}, {"text": "the quick brown fox jumps [2]"}]
    assert len(juicer.apply(rows, OP)) == 2
    assert len(juicer.apply(rows, juicer.operator(OP, ignore_pattern=r"\[\d+\]"))) == 1
    assert len(juicer.apply(rows, juicer.operator(OP, ignore_pattern=r"\[\d+\]",
                                                  lowercase=False))) == 2


def test_clusters_are_verified_against_the_kept_document_not_only_chains():
    words = [f"w{i}" for i in range(140)]
    a, b, c = (" ".join(words[k:k + 100]) for k in (0, 10, 20))
    # J(a,b) = J(b,c) = 90/110 = 0.82, but J(a,c) = 80/120 = 0.67: b joins a, c must not
    loose = dict(num_permutations=64, num_bands=64, num_rows_per_band=1, window_size=1)
    result = juicer.apply([{"text": t} for t in (a, b, c)], juicer.operator(OP, **loose),
                          detailed=True)
    assert [r["text"] for r in result.kept] == [a, c]
    assert result.steps[0]["dedup"]["verification"]["moved_from_chains"] == 1
    unverified = juicer.apply([{"text": t} for t in (a, b, c)],
                              juicer.operator(OP, verify=False, **loose))
    assert [r["text"] for r in unverified] == [a]


def test_ignore_pattern_runs_in_linear_time():
    # catastrophic for a backtracking engine; RE2 (through Arrow) answers at once
    rows = [{"text": "a" * 5000 + "b"}, {"text": "a" * 5000 + "c"}]
    kept = juicer.apply(rows, juicer.operator(OP, ignore_pattern="(a+)+$",
                                              tokenization="character"))
    assert len(kept) == 2


def test_a_copy_whose_line_breaks_became_spaces_is_found_by_default(sample_rows):
    # found by a new user: Data-Juicer's `space` tokenization misses re-wrapped copies
    originals = [r["text"] for r in sample_rows if r["text"].count("\n") >= 20][:40]
    rows = [{"id": i, "text": t} for i, t in enumerate(originals)]
    rows += [{"id": 100 + i, "text": " ".join(t.split("\n"))} for i, t in enumerate(originals)]
    kept = juicer.operator("document_minhash_deduplicator")(rows)
    assert sorted(r["id"] for r in kept) == list(range(40))
    data_juicer = juicer.operator("document_minhash_deduplicator", tokenization="space")(rows)
    assert len(data_juicer) > 60  # most copies survive a split on " " only


def test_a_data_juicer_recipe_gets_data_juicers_tokenization(tmp_path):
    recipe = tmp_path / "dj.yaml"
    recipe.write_text("dataset_path: in.jsonl\nexport_path: out/result.jsonl\nprocess:\n"
                      "  - document_minhash_deduplicator: {}\n"
                      "  - document_simhash_deduplicator: {tokenization: punctuation}\n")
    loaded = juicer.load_recipe(recipe)
    assert [s.params["tokenization"] for s in loaded.pipeline] == ["space", "punctuation"]
