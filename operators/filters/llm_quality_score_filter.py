from __future__ import annotations

import pyarrow as pa

from juicer_operators.filters.llm_scoring import LLMScoreFilter, LLMScoreParams


class LLMQualityScoreFilter(LLMScoreFilter):
    """Ask a language model to rate each document's quality for training (accuracy,
    grammar, informativeness, coherence, each 1-5) and keep those whose score, the mean
    rating / 5, lies in [min_score, max_score]. Writes the stat `llm_quality_score`.

    Data-Juicer's operator of this name, on any OpenAI-compatible endpoint given in the
    recipe's `llm:` section (vLLM, SGLang, llama.cpp, Ollama, hosted APIs); answers are
    cached in the run's output folder, so a resumed or repeated run asks nothing twice. An
    answer that is not JSON or lacks a dimension is dropped as `invalid_answer` (or
    quarantined: `on_invalid`). See docs/models.md, "LLM operators"."""

    name = "llm_quality_score_filter"
    stats = {"llm_quality_score": pa.float64()}
    score_stat = "llm_quality_score"
    dimensions = ("accuracy", "grammar", "informativeness", "coherence")
    default_system_prompt = ("You assess text samples as training data for a language "
                             "model: are they accurate, well written, informative and "
                             "coherent?")

    class Params(LLMScoreParams):
        pass
