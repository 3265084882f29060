from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field

from juicer.models import classifier
from juicer.core.batch import Batch
from juicer.core.operator import Filter, RangeParams, range_rules


class QualityClassifierFilter(Filter):
    """Score each document with a fastText quality classifier and keep those whose score
    (the probability of `label`) lies in [min_score, max_score]. Writes the stat
    `quality_score`.

    The default model ships with Juicer (548 KB, trained by tools/train_quality_classifier,
    DCLM style: instruction and answer text against raw web text; held-out accuracy and its
    agreement with DCLM's human quality votes are in docs/models.md). Train your own with
    `juicer train-classifier`, or point `model_path` at any fastText supervised model such
    as DCLM's (`label: __label__hq`). A model's sidecar .json (written by train-classifier)
    supplies its label and text preparation; without one, text is scored with line breaks
    as spaces, as DCLM does. Data-Juicer's filter of this name runs PySpark models that it
    downloads; this one is fastText only. The model is loaded once per worker."""

    name = "quality_classifier_filter"
    requires_packages = {"fasttext": "models"}
    stats = {"quality_score": pa.float64()}

    class Params(RangeParams):
        _range = ("min_score", "max_score")
        model_path: Optional[str] = Field(None, description="A fastText supervised model "
                                          "(.bin/.ftz); empty uses the one Juicer ships.")
        label: Optional[str] = Field(None, description="The label whose probability is the "
                                     "score; default: the sidecar's positive label, else "
                                     "__label__hq.")
        min_score: float = Field(0.5, ge=0, le=1, description="Lowest score kept.")
        max_score: float = Field(1.0, ge=0, le=1, description="Highest score kept.")

    def setup(self) -> None:
        path = self.params.model_path or classifier.default_model_path()
        self.model = classifier.load_model(path)
        sidecar = classifier.read_sidecar(path)
        self.label = self.params.label or sidecar.get("positive_label", classifier.POSITIVE)
        self.lowercase = bool(sidecar.get("lowercase", False))
        self.max_chars = int(sidecar.get("max_chars", 10**12))
        if self.label not in self.model.get_labels():
            from juicer.errors import JuicerError

            raise JuicerError(f"quality_classifier_filter: the model {path} has no label "
                              f"'{self.label}' (it has {', '.join(self.model.get_labels())}); "
                              f"set label to one of them")

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        texts = batch.text(self.text_field(text_field)).to_pylist()
        scores = classifier.score_texts(self.model, texts, self.label, self.lowercase, self.max_chars)
        return {"quality_score": pa.array(scores, pa.float64())}

    def rules(self):
        return range_rules(self.params, "quality_score", "min_score", "max_score")
