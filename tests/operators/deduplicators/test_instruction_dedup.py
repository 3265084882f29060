"""instruction_dedup on real prompts: HH-RLHF dialogues (which repeat first prompts) with a
shared system message, and GPTeacher instructions with reworded copies planted."""
import gzip
import json
import random
from pathlib import Path

import pytest

import juicer
from juicer.text.shingles import reference_shingles
from tests.conftest import DATA, read_output, write_recipe
from tests.operators.helpers import cluster_firsts

HH = Path(__file__).parents[3] / "recipes" / "sample" / "hh_rlhf_chat_sample.jsonl.gz"
SYSTEM = {"role": "system", "content": "You are a helpful and harmless assistant."}


def jaccard(a: str, b: str) -> float:
    left, right = (reference_shingles(t.lower(), "whitespace", 3) for t in (a, b))
    return len(left & right) / len(left | right) if left | right else 1.0


@pytest.fixture(scope="module")
def dialogues():
    with gzip.open(HH, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(400))]
    return [{**row, "messages": [SYSTEM, *row["messages"]]} for row in rows]


def test_repeated_first_prompts_are_found_past_the_system_message(dialogues):
    kept = juicer.operator("instruction_dedup")(dialogues, text_field="messages[-1].content")
    prompts = [d["messages"][1]["content"] for d in dialogues]
    firsts = cluster_firsts(len(prompts), lambda i, j: jaccard(prompts[i], prompts[j]) >= 0.8)
    assert [d["id"] for d in kept] == [d["id"] for d, first in zip(dialogues, firsts) if first]
    assert len(dialogues) - len(kept) >= 5  # HH-RLHF repeats prompts
    # the first message is the shared system one: deduplicating on it keeps one dialogue
    by_first = juicer.operator("document_deduplicator", text_key="messages[0].content")
    assert len(by_first(dialogues, text_field="messages[-1].content")) == 1


def test_reworded_instructions_are_dropped_in_a_recipe_after_conversion(tmp_path):
    rows = [json.loads(line) for line in (DATA / "gpteacher_roleplay.jsonl").open()]
    rng = random.Random(7)
    copies = []
    for row in rng.sample([r for r in rows if len(r["instruction"].split()) >= 25], 30):
        # upper case, a word added, another answer
        copies.append({**row, "instruction": row["instruction"].upper() + " Thanks!",
                       "response": "Sure."})
    data = tmp_path / "with_copies.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows + copies))
    recipe = write_recipe(tmp_path, [{"op": "format_convert_mapper", "params": {"to": "sharegpt"}},
                                     {"op": "instruction_dedup"}],
                          paths=[data], input_text_field="instruction", input_shard_size="64KB")
    result = juicer.process(recipe, workers=2)
    kept = read_output(result.output).to_pylist()
    records = rows + copies
    prompts = [f"{r['instruction']}\n\n{r['input']}" if r["input"].strip() else r["instruction"]
               for r in records]
    firsts = cluster_firsts(len(prompts), lambda i, j: jaccard(prompts[i], prompts[j]) >= 0.8)
    assert [r["conversations"][0]["value"] for r in kept] == \
        [p for p, first in zip(prompts, firsts) if first]
    assert sum(r["conversations"][-1]["value"] == "Sure." for r in kept) <= 3
    assert result.report["dropped_docs"] == len(records) - len(kept) >= 27
