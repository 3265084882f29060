import json

import juicer
from tests.conftest import DATA


def test_finds_the_answer_by_layout():
    rows = [json.loads(line) for line in (DATA / "gpteacher_roleplay.jsonl").open()][:200]
    op = juicer.operator("response_length_filter", min_len=700)
    kept = juicer.apply(rows, op, text_field="instruction")  # GPTeacher: `response`
    assert kept == [r for r in rows if len(r["response"]) >= 700] and 0 < len(kept) < 200
    chats = [{"id": i, "messages": [{"role": "user", "content": r["instruction"]},
                                    {"role": "assistant", "content": r["response"]}]}
             for i, r in enumerate(rows)]
    kept = juicer.apply(chats, op, text_field="messages[0].content")
    assert [c["id"] for c in kept] == [i for i, r in enumerate(rows) if len(r["response"]) >= 700]


def test_text_key_and_plain_documents():
    op = juicer.operator("response_length_filter", min_len=3, text_key="answer")
    rows = [{"text": "x", "answer": "yes"}, {"text": "y", "answer": "no"}]
    assert juicer.apply(rows, op) == rows[:1]
    plain = juicer.operator("response_length_filter", min_len=3)  # no layout: the text
    assert juicer.apply([{"text": "abc"}, {"text": "ab"}], plain) == [{"text": "abc"}]
