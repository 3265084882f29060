from __future__ import annotations

import pyarrow as pa

from juicer_operators.filters.llm_scoring import LLMScoreFilter, LLMScoreParams


class LLMDifficultyScoreFilter(LLMScoreFilter):
    """Ask a language model how demanding each sample is (linguistic complexity,
    conceptual depth, prior knowledge, step complexity, each 1-5) and keep those whose
    score, the mean rating / 5, lies in [min_score, max_score]. Writes the stat
    `llm_difficulty_score`.

    Data-Juicer's operator of this name (for picking hard instruction data), on the
    endpoint of the recipe's `llm:` section, with its answers cached. An unusable answer is
    dropped as `invalid_answer` or quarantined (`on_invalid`). See docs/models.md."""

    name = "llm_difficulty_score_filter"
    stats = {"llm_difficulty_score": pa.float64()}
    score_stat = "llm_difficulty_score"
    dimensions = ("linguistic_complexity", "conceptual_depth", "prior_knowledge",
                  "step_complexity")
    default_system_prompt = ("You judge how difficult a sample (often an instruction and "
                             "its answer) is for a language model to learn from and solve.")

    class Params(LLMScoreParams):
        pass
