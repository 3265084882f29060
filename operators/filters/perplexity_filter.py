from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field, model_validator

from juicer.models import lm
from juicer.core.batch import Batch
from juicer.core.operator import Filter, RangeParams, range_rules


class PerplexityFilter(Filter):
    """Keep documents whose perplexity under an n-gram language model lies in
    [min_ppl, max_ppl]: low perplexity reads like the model's training text (CCNet's
    Wikipedia models, or a corpus of your own). Writes the stat `perplexity`.

    As CCNet computes it: each line normalized (lowercase, no accents, digits as 0, ASCII
    punctuation), split into SentencePiece pieces, scored by KenLM; the document's
    perplexity is 10 ** (-total log10 score / (pieces + one per line)). `model_path` is an
    .arpa or KenLM .bin file; `tokenizer_path` its SentencePiece model (default: the one
    `juicer train-lm` wrote beside it, or CCNet's `LANG.sp.model` beside `LANG.arpa.bin`;
    none scores whitespace words). Without `model_path`, the model for `lang` is taken from
    $JUICER_MODEL_DIR (default ~/.cache/juicer/models), so Data-Juicer recipes that name only
    `lang` run unchanged: Data-Juicer downloads CCNet's `{lang}.arpa.bin` and
    `{lang}.sp.model`; put those two files there (or your own) to get its scores. Needs the `models` extra (KenLM from the prebuilt ufal.kenlm wheel); the model
    is loaded once per worker."""

    name = "perplexity_filter"
    requires_packages = {"kenlm": "models", "sentencepiece": "models"}
    stats = {"perplexity": pa.float64()}

    class Params(RangeParams):
        _range = ("min_ppl", "max_ppl")
        model_path: Optional[str] = Field(
            None, description="KenLM model (.arpa or .bin), e.g. from `juicer train-lm` or "
            "CCNet's en.arpa.bin; default: LANG.arpa.bin / LANG.bin / LANG.arpa in "
            "$JUICER_MODEL_DIR (else ~/.cache/juicer/models).")
        tokenizer_path: Optional[str] = Field(None, description="SentencePiece model of "
                                              "the language model; default: its sidecar's.")
        lang: str = Field("en", description="Language of the documents (Data-Juicer's "
                          "parameter; the model decides what is scored).")
        min_ppl: float = Field(0, ge=0, description="Lowest perplexity kept.")
        max_ppl: float = Field(1500, ge=0, description="Highest perplexity kept.")

        @model_validator(mode="after")
        def _default_model(self):
            if self.model_path is None:
                object.__setattr__(self, "model_path", lm.default_model_path(self.lang))
            return self

    def setup(self) -> None:
        self.scorer = lm.Scorer(self.params.model_path, self.params.tokenizer_path)

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        texts = batch.text(self.text_field(text_field)).to_pylist()
        return {"perplexity": pa.array(self.scorer.perplexity(texts), pa.float64())}

    def rules(self):
        return range_rules(self.params, "perplexity", "min_ppl", "max_ppl")
