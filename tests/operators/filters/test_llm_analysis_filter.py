"""llm_analysis_filter: a general analysis whose prompt the user writes; the score keeps
[min_score, max_score]."""
import pytest

import juicer
from tests.llm_server import score_of


@pytest.fixture
def server(llm_server):
    llm_server.reset()
    return llm_server


def test_a_custom_prompt_and_the_max_score_bound(server, sample_texts):
    rows = [{"text": t} for t in sample_texts[:30]]
    op = juicer.operator("llm_analysis_filter", llm=server.settings(), min_score=0.0,
                         max_score=0.8, input_template="Is this useful for a tutor?\n{data}")
    result = juicer.apply(rows, op, detailed=True)
    expected = [score_of(f"Is this useful for a tutor?\n## text\n{r['text']}") / 5 for r in rows]
    assert [r["text"] for r in result.kept] == [r["text"] for r, s in zip(rows, expected)
                                                if s <= 0.8]
    assert {r["__drop_reason__"] for r in result.dropped} <= {"llm_analysis_filter:max_score"}
    assert "clarity, relevance, usefulness, fluency" in server.requests[0]["messages"][0]["content"]
