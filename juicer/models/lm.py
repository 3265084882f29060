"""n-gram language models for perplexity, CCNet style: text normalized as CCNet does,
split into SentencePiece pieces, scored line by line by KenLM.

`train` builds such a model from a corpus, all offline: a SentencePiece model trained on
the corpus (`sentencepiece`), then an interpolated Kneser-Ney ARPA model of the pieces
(`kaldingram`, in a child process), pieces seen once mapped to `<unk>` so that unseen ones
get a probability. It writes MODEL.arpa, MODEL.sp.model and a sidecar MODEL.json; the
perplexity filter reads all three. CCNet's own models (`en.arpa.bin` + `en.sp.model`) load
the same way."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from juicer.errors import JuicerError

UNK = "<unk>"
_DIGITS = re.compile(r"\d")
# CCNet maps Unicode punctuation to its ASCII look-alike before tokenizing
_PUNCTUATION = str.maketrans({
    "，": ",", "。": ". ", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"',
    "１": '"', "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":",
    "？": "?", "！": "!", "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ",
    "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]",
    "％": "%", "►": "-",
})
_NON_PRINTING = {code: None for code in (*range(0, 32), *range(127, 160))}


def normalize(line: str) -> str:
    """CCNet's normalization of one line: lowercase, no accents, digits as 0, Unicode
    punctuation as ASCII, no control characters."""
    line = line.strip().lower()
    line = "".join(c for c in unicodedata.normalize("NFD", line) if unicodedata.category(c) != "Mn")
    line = _DIGITS.sub("0", line).translate(_PUNCTUATION).translate(_NON_PRINTING)
    return line


@dataclass
class LMOptions:
    order: int = 3
    vocab_size: int = 8000  # SentencePiece pieces
    min_count: int = 2  # pieces seen fewer times become <unk>
    max_training_lines: int = 300_000  # lines SentencePiece learns from (a sample)


class Scorer:
    """A KenLM model and its tokenizer: perplexity of documents."""

    def __init__(self, model_path: str, tokenizer_path: Optional[str] = None):
        try:
            import kenlm
        except ImportError:
            raise JuicerError("perplexity needs the package kenlm: pip install "
                              "'juicer-llm[models]' (ufal.kenlm, a prebuilt KenLM)") from None
        if not os.path.isfile(model_path):
            raise JuicerError(f"no language model at {model_path}; set model_path to an "
                              f".arpa or KenLM .bin file (juicer train-lm makes one)")
        sidecar = read_sidecar(model_path)
        beside = re.sub(r"(\.arpa)?(\.bin|\.arpa)$", "", model_path) + ".sp.model"  # CCNet's
        tokenizer_path = tokenizer_path or sidecar.get("tokenizer_path") or (
            beside if os.path.isfile(beside) else None)
        if tokenizer_path and not os.path.isabs(tokenizer_path):
            tokenizer_path = os.path.join(os.path.dirname(model_path), tokenizer_path)
        self.pieces = None
        if tokenizer_path:
            import sentencepiece

            if not os.path.isfile(tokenizer_path):
                raise JuicerError(f"no SentencePiece model at {tokenizer_path}; set "
                                  f"tokenizer_path to the one the language model was built with")
            self.pieces = sentencepiece.SentencePieceProcessor(model_file=tokenizer_path)
        config = kenlm.Config()
        config.show_progress = False  # KenLM draws a progress bar on stderr while loading
        self.model = kenlm.Model(model_path, config)

    def tokens(self, lines: list[str]) -> list[str]:
        """Each normalized line as space-separated tokens."""
        if self.pieces is None:
            return lines
        return [" ".join(pieces) for pieces in self.pieces.encode(lines, out_type=str)]

    def perplexity(self, texts: Sequence[str]) -> np.ndarray:
        """CCNet's document perplexity: 10 ** (-sum of line log10 scores / (tokens + one end
        of line per line)); 0 lines give 0."""
        owners, lines = [], []
        for index, text in enumerate(texts):
            for line in text.splitlines():
                normalized = normalize(line)
                if normalized:
                    owners.append(index)
                    lines.append(normalized)
        log_score = np.zeros(len(texts))
        length = np.zeros(len(texts))
        for owner, tokens in zip(owners, self.tokens(lines)):
            log_score[owner] += self.model.score(tokens, bos=True, eos=True)
            length[owner] += len(tokens.split()) + 1
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(length > 0, np.round(10.0 ** (-log_score / np.maximum(length, 1)), 1), 0.0)


def model_dir() -> str:
    """Where models named by language are looked for: $JUICER_MODEL_DIR, else
    ~/.cache/juicer/models."""
    return os.environ.get("JUICER_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "juicer", "models")


def default_model_path(lang: str) -> str:
    """The language model for `lang` in model_dir(): LANG.arpa.bin, LANG.bin or LANG.arpa
    (CCNet's names; `juicer train-lm -o DIR/LANG.arpa` writes the last)."""
    folder = model_dir()
    for name in (f"{lang}.arpa.bin", f"{lang}.bin", f"{lang}.arpa"):
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise ValueError(f"no language model for '{lang}' in {folder} (looked for {lang}.arpa.bin, "
                     f"{lang}.bin, {lang}.arpa); set model_path, or build one: juicer train-lm "
                     f"--input TEXTS -o {os.path.join(folder, lang + '.arpa')} (or set "
                     "JUICER_MODEL_DIR to a folder holding CCNet's models)")


def sidecar_path(model_path: str) -> str:
    return re.sub(r"(\.arpa)?(\.bin|\.arpa)$", "", model_path) + ".json"


def read_sidecar(model_path: str) -> dict:
    path = sidecar_path(model_path)
    return json.loads(Path(path).read_text("utf-8")) if os.path.isfile(path) else {}


def train(texts: Sequence[str], output: str, options: Optional[LMOptions] = None,
          held_out: Sequence[str] = ()) -> dict:
    """Build MODEL.arpa, MODEL.sp.model and MODEL.json from `texts` (see the module
    docstring); returns the sidecar, with the perplexity of `held_out` texts when given."""
    import sentencepiece

    options = options or LMOptions()
    stem = re.sub(r"\.arpa$", "", output)
    Path(stem).parent.mkdir(parents=True, exist_ok=True)
    lines = [normalized for text in texts for line in text.splitlines()
             if (normalized := normalize(line))]
    if len(lines) < 100:
        raise JuicerError(f"{len(lines)} non-empty lines are too few to train a language model")
    with tempfile.TemporaryDirectory() as scratch:
        corpus = os.path.join(scratch, "corpus.txt")
        Path(corpus).write_text("\n".join(lines) + "\n", "utf-8")
        sentencepiece.SentencePieceTrainer.train(
            input=corpus, model_prefix=stem + ".sp", vocab_size=options.vocab_size,
            input_sentence_size=options.max_training_lines, shuffle_input_sentence=True,
            seed_sentencepiece_size=1_000_000, num_threads=1, minloglevel=2, hard_vocab_limit=False)
        pieces = sentencepiece.SentencePieceProcessor(model_file=stem + ".sp.model")
        tokenized = pieces.encode(lines, out_type=str)
        counts = Counter(piece for line in tokenized for piece in line)
        tokens_file = os.path.join(scratch, "tokens.txt")
        with open(tokens_file, "w", encoding="utf-8") as handle:
            for line in tokenized:
                handle.write(" ".join(p if counts[p] >= options.min_count else UNK for p in line) + "\n")
        command = [sys.executable, "-m", "kaldingram.cli", "train", "--ngram-order",
                   str(options.order), "--text", tokens_file, "--lm", stem + ".arpa"]
        # no count cutoffs: kaldingram's (--gtNmin) gave unnormalized back-offs here
        child = subprocess.run(command, capture_output=True, text=True)
        if child.returncode:
            raise JuicerError(f"n-gram training failed: {child.stderr.strip().splitlines()[-1:]}")
    sidecar = {"tokenizer_path": os.path.basename(stem + ".sp.model"), "normalization": "ccnet",
               "options": asdict(options), "training_lines": len(lines),
               "training_tokens": sum(len(line) for line in tokenized)}
    if held_out:
        scorer = Scorer(stem + ".arpa", stem + ".sp.model")
        values = scorer.perplexity(held_out)
        sidecar["held_out"] = {"documents": len(held_out),
                               "median_perplexity": float(np.median(values[values > 0]))}
    Path(sidecar_path(stem + ".arpa")).write_text(json.dumps(sidecar, indent=2) + "\n", "utf-8")
    sidecar["model_path"] = stem + ".arpa"
    return sidecar

