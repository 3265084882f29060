import gzip
import json

import juicer
from tests.conftest import REPO

CHATS = REPO / "recipes" / "sample" / "hh_rlhf_chat_sample.jsonl.gz"


def test_counts_user_turns_of_real_dialogues():
    rows = [json.loads(line) for line in gzip.open(CHATS, "rt", encoding="utf-8")][:300]
    op = juicer.operator("turn_count_filter", min_turns=2, max_turns=3)
    result = juicer.apply(rows, op, detailed=True, keep_stats=True,
                          text_field="messages[-1].content")
    turns = [sum(m["role"] == "user" for m in row["messages"]) for row in rows]
    assert [r["__stats__"]["turn_count_filter"]["num_turns"] for r in result.kept] == \
        [t for t in turns if 2 <= t <= 3]
    assert {r["__drop_reason__"] for r in result.dropped} == {"turn_count_filter:min_turns",
                                                              "turn_count_filter:max_turns"}


def test_sharegpt_conversations_and_empty_dialogues():
    rows = [{"text": "a", "conversations": [{"from": "human", "value": "q"},
                                            {"from": "gpt", "value": "a"}] * 2},
            {"text": "b", "conversations": [{"from": "system", "value": "s"}]},
            {"text": "c", "conversations": None}]
    result = juicer.apply(rows, juicer.operator("turn_count_filter"), detailed=True)
    assert [r["text"] for r in result.kept] == ["a"]
    assert [r["text"] for r in result.dropped] == ["b", "c"]


def test_dialogue_key_names_another_list_and_a_missing_one_is_named():
    rows = [{"text": "a", "chat": [{"role": "user", "content": "q"},
                                   {"role": "assistant", "content": "a"}] * 3},
            {"text": "b", "chat": [{"role": "user", "content": "q"}]}]
    op = juicer.operator("turn_count_filter", min_turns=2, dialogue_key="chat")
    assert [r["text"] for r in juicer.apply(rows, op)] == ["a"]
    missing = juicer.apply(rows, juicer.operator("turn_count_filter", dialogue_key="dialog"),
                           detailed=True)
    assert "no dialog field in the data" in missing.quarantined[0]["error"]
