from __future__ import annotations

import pyarrow as pa

from juicer_operators.filters.llm_scoring import LLMScoreFilter, LLMScoreParams


class LLMAnalysisFilter(LLMScoreFilter):
    """Ask a language model to rate each sample's clarity, relevance, usefulness and
    fluency (each 1-5) and keep those whose score, the mean of the `dim_required_keys`
    ratings / 5, lies in [min_score, max_score]. Writes the stat `llm_analysis_score`.

    Data-Juicer's general LLM analysis filter: give your own `system_prompt` and
    `input_template` to judge anything on these dimensions. Uses the recipe's `llm:`
    endpoint, answers cached; an unusable answer is dropped as `invalid_answer` or
    quarantined (`on_invalid`). See docs/models.md."""

    name = "llm_analysis_filter"
    stats = {"llm_analysis_score": pa.float64()}
    score_stat = "llm_analysis_score"
    dimensions = ("clarity", "relevance", "usefulness", "fluency")
    default_system_prompt = ("You analyze data samples for training a language model: how "
                             "clear, relevant, useful and fluent is each?")

    class Params(LLMScoreParams):
        pass
