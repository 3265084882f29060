"""fastText quality classifiers: train one from two labelled sources (GPT-3 and DCLM style:
text like the curated source scores high), evaluate it on a held-out split, score with it.

A trained model `NAME.bin` (or `.ftz` when quantized) gets a sidecar `NAME.json` with the
label it predicts for the curated side, the text preparation used in training (applied
again when scoring, so both see the same text) and the held-out evaluation."""
from __future__ import annotations

import hashlib
from importlib import resources
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from juicer.errors import JuicerError

POSITIVE, NEGATIVE = "__label__hq", "__label__lq"
_SPACES = re.compile(r"\s+")


def prepare(text: str, lowercase: bool) -> str:
    """One line of text as fastText reads it (it splits on whitespace; a newline would end
    the example)."""
    text = _SPACES.sub(" ", text).strip()
    return text.lower() if lowercase else text


@dataclass
class TrainingOptions:
    epochs: int = 10
    dim: int = 32
    word_ngrams: int = 2
    buckets: int = 200_000  # hashed word n-grams; fastText's 2M is for billions of words
    learning_rate: float = 0.5
    min_count: int = 2
    lowercase: bool = True
    max_chars: int = 20_000  # of each document: long pages would dominate the word counts
    test_share: float = 0.1
    quantize: bool = True  # a .ftz of about 1 MB instead of a .bin of tens of MB
    keep_words: int = 20_000  # words and n-grams the quantized model keeps
    seed: int = 0
    threads: int = 1  # fastText is deterministic only on one thread


@dataclass
class Evaluation:
    test_documents: int
    accuracy: float
    precision: float
    recall: float
    train_documents: int
    positive_documents: int
    negative_documents: int
    extra: dict = field(default_factory=dict)


def _held_out(text: str, share: float, seed: int) -> bool:
    """Whether a document is in the test split: by a hash of its text, so the split does
    not depend on file order and a duplicate never sits on both sides."""
    digest = hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64 < share


def train(positive: Sequence[str], negative: Sequence[str], output: str,
          options: Optional[TrainingOptions] = None) -> Evaluation:
    """Train on positive (curated) vs negative (raw) texts, evaluate on the held-out split,
    write the model and its sidecar; returns the evaluation."""
    fasttext = _fasttext(training=True)
    options = options or TrainingOptions()
    rows = [(POSITIVE, t) for t in positive] + [(NEGATIVE, t) for t in negative]
    # balance the classes by weight: repeat the smaller side's training examples
    train_rows, test_rows = [], []
    for label, text in rows:
        line = prepare(text[:options.max_chars], options.lowercase)
        if line:
            (test_rows if _held_out(line, options.test_share, options.seed) else train_rows).append((label, line))
    counts = {label: sum(1 for l, _ in train_rows if l == label) for label in (POSITIVE, NEGATIVE)}
    if min(counts.values()) == 0 or not test_rows:
        raise JuicerError(f"too few documents to train and test: {counts[POSITIVE]} positive and "
                          f"{counts[NEGATIVE]} negative for training, {len(test_rows)} held out")
    repeat = {label: max(1, round(max(counts.values()) / counts[label])) for label in counts}
    order = np.random.default_rng(options.seed).permutation(len(train_rows))
    with tempfile.TemporaryDirectory() as scratch:
        train_file = os.path.join(scratch, "train.txt")
        with open(train_file, "w", encoding="utf-8") as handle:
            for index in order:
                label, line = train_rows[index]
                handle.write(f"{label} {line}\n" * repeat[label])
        model_file = os.path.join(scratch, "model.bin")
        # a fresh process per training: fastText keeps state between trainings in one
        # process, and a second one there can diverge (NaN) on the very same input
        # (a subprocess, not multiprocessing: that would re-run the caller's script)
        child = subprocess.run([sys.executable, "-c", "import sys; from juicer.models."
                                "classifier import _train_file; sys.exit(_train_file(*sys.argv[1:]))", train_file,
                                json.dumps(asdict(options)), model_file],
                               capture_output=True, text=True)
        failure = child.stderr.strip().splitlines()[-1] if child.returncode else None
        if failure:
            raise JuicerError(f"fastText training failed ({failure}); lower the learning rate "
                              f"(now {options.learning_rate}) or the epochs")
        model = fasttext.load_model(model_file)
    evaluation = _evaluate(model, test_rows, counts, len(train_rows))
    suffix = ".ftz" if options.quantize else ".bin"
    path = Path(output)
    if path.suffix not in (".bin", ".ftz"):
        path = path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_model(str(path))
    sidecar = {"positive_label": POSITIVE, "negative_label": NEGATIVE,
               "lowercase": options.lowercase, "max_chars": options.max_chars,
               "options": asdict(options), "evaluation": asdict(evaluation)}
    Path(sidecar_path(str(path))).write_text(json.dumps(sidecar, indent=2) + "\n", "utf-8")
    evaluation.extra["model_path"] = str(path)
    return evaluation


def _train_file(train_file: str, options_json: str, model_file: str) -> Optional[str]:
    """Train (and quantize) from a fastText training file; runs in a child process."""
    options = json.loads(options_json)
    fasttext = _fasttext(training=True)
    try:
        model = fasttext.train_supervised(
            input=train_file, epoch=options["epochs"], dim=options["dim"],
            wordNgrams=options["word_ngrams"], lr=options["learning_rate"],
            minCount=options["min_count"], bucket=options["buckets"], thread=options["threads"],
            seed=options["seed"], loss="softmax", verbose=0)
        if options["quantize"]:
            model.quantize(input=train_file, retrain=True, qnorm=True, cutoff=options["keep_words"])
    except RuntimeError as exc:  # fastText's "Encountered NaN": the updates diverged
        return str(exc)
    model.save_model(model_file)
    return None


def _evaluate(model, test_rows, counts, train_documents) -> Evaluation:
    labels = [label for label, _ in test_rows]
    scores = positive_scores(model, [line for _, line in test_rows], POSITIVE)
    predicted = scores >= 0.5
    truth = np.array([label == POSITIVE for label in labels])
    true_positive = int((predicted & truth).sum())
    return Evaluation(
        test_documents=len(test_rows),
        accuracy=round(float((predicted == truth).mean()), 4),
        precision=round(true_positive / max(int(predicted.sum()), 1), 4),
        recall=round(true_positive / max(int(truth.sum()), 1), 4),
        train_documents=train_documents, positive_documents=counts[POSITIVE],
        negative_documents=counts[NEGATIVE])


def positive_scores(model, lines: list[str], label: str) -> np.ndarray:
    """The probability of `label` for each prepared line (0 when the model does not know
    the label), with one batched call."""
    if not lines:
        return np.zeros(0)
    found_labels, found_scores = model.predict(lines, k=-1)
    scores = np.zeros(len(lines))
    for index, (names, probabilities) in enumerate(zip(found_labels, found_scores)):
        for name, probability in zip(names, probabilities):
            if name == label:
                scores[index] = min(float(probability), 1.0)
                break
    return scores


def sidecar_path(model_path: str) -> str:
    return os.path.splitext(model_path)[0] + ".json"


def read_sidecar(model_path: str) -> dict:
    path = sidecar_path(model_path)
    return json.loads(Path(path).read_text("utf-8")) if os.path.exists(path) else {}


def default_model_path() -> str:
    """The classifier Juicer ships (tools/train_quality_classifier, docs/models.md)."""
    return str(resources.files("juicer").joinpath("assets", "models",
                                                  "quality_instruct_vs_web.ftz"))


def _fasttext(training: bool = False):
    try:
        import fasttext
    except ImportError:
        raise JuicerError("fastText classifiers need the package fasttext: "
                          "pip install 'juicer-llm[models]'") from None
    if training and not hasattr(fasttext, "train_supervised"):
        raise JuicerError("the installed `fasttext` module can only predict (it is "
                          "fasttext-predict's); training needs fasttext-numpy2's: "
                          "pip install --force-reinstall --no-deps fasttext-numpy2")
    return fasttext


def load_model(path: str):
    if not os.path.isfile(path):
        raise JuicerError(f"no fastText model at {path}; set model_path to a model trained by "
                          f"`juicer train-classifier` or any fastText supervised model")
    return _fasttext().load_model(path)


def score_texts(model, texts: Iterable[str], label: str, lowercase: bool, max_chars: int) -> np.ndarray:
    return positive_scores(model, [prepare(t[:max_chars], lowercase) for t in texts], label)
