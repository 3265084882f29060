"""llm_difficulty_score_filter: its dimensions reach the endpoint, and the score averages
only the required ones."""
import pytest

import juicer


@pytest.fixture
def server(llm_server):
    llm_server.reset()
    return llm_server


def test_asks_its_dimensions_and_averages_the_required_ones(server):
    rows = [{"text": "Prove that there are infinitely many primes, step by step."}]
    result = juicer.apply(rows, juicer.operator(
        "llm_difficulty_score_filter", llm=server.settings(), min_score=0,
        dim_required_keys=["conceptual_depth", "step_complexity"]), detailed=True)
    schema = server.requests[-1]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["dimension_scores"]["required"] == [
        "linguistic_complexity", "conceptual_depth", "prior_knowledge", "step_complexity"]
    assert result.counts == {"kept": 1, "dropped": 0, "quarantined": 0}
    kept = juicer.apply(rows, juicer.operator("llm_difficulty_score_filter",
                                              llm=server.settings(), min_score=0.9))
    assert kept == []  # a short prompt rates 4 of 5 in the scripted server: 0.8 < 0.9
