import gzip
import json
import re

import juicer
from juicer_operators.filters.refusal_filter import DEFAULT_PHRASES
from tests.conftest import REPO

CHATS = REPO / "recipes" / "sample" / "hh_rlhf_chat_sample.jsonl.gz"


def test_drops_real_refusals_anywhere_in_a_dialogue():
    rows = [json.loads(line) for line in gzip.open(CHATS, "rt", encoding="utf-8")]
    op = juicer.operator("refusal_filter", text_key="messages[*].content")
    result = juicer.apply(rows, op, detailed=True, text_field="messages[-1].content")

    def refuses(row):  # an independent reference: Python's re over the joined dialogue
        text = "\n".join(m["content"] for m in row["messages"]).lower().replace("\u2019", "'")
        return any(re.search(re.escape(p), text) for p in DEFAULT_PHRASES)
    assert [r["id"] for r in result.dropped] == [r["id"] for r in rows if refuses(r)]
    assert len(result.dropped) > 0 and len(result.kept) > 900
    assert {r["__drop_reason__"] for r in result.dropped} == {"refusal_filter:refusal"}


def test_own_phrases_any_case_and_curly_apostrophes():
    op = juicer.operator("refusal_filter", phrases=["I can't help"])
    rows = [{"output": "Sorry, I CAN\u2019T HELP with that.", "instruction": "x"},
            {"output": "Here you go.", "instruction": "y"}]
    assert juicer.apply(rows, op, text_field="instruction") == rows[1:]
