"""`juicer count` and `juicer sample` on the real web sample, from the CLI and Python."""
import collections
import json
import re
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

import juicer
from juicer.errors import JuicerError
from tests.conftest import SAMPLE

JUICER = [sys.executable, "-m", "juicer.cli"]


def test_count_documents_characters_bytes_and_groups(sample_rows):
    counted = juicer.count([SAMPLE], by="lang")
    texts = [row["text"] for row in sample_rows]
    assert counted["documents"] == 2500 and counted["unreadable"] == 0
    assert counted["fields"]["text"] == {"documents": 2500, "chars": sum(map(len, texts)),
                                         "bytes": sum(len(t.encode()) for t in texts),
                                         "tokens": 0}
    langs = collections.Counter(row["lang"] or "(none)" for row in sample_rows)
    assert {key: group["documents"] for key, group in counted["groups"].items()} == dict(langs)
    assert list(counted["groups"])[0] == "en"  # largest first
    german = [row["text"] for row in sample_rows if row["lang"] == "de"]
    assert counted["groups"]["de"]["fields"]["text"]["chars"] == sum(map(len, german))


def test_count_tokens_and_several_fields_from_the_cli(tmp_path, sample_rows):
    from juicer.models.token_counters import load

    path = tmp_path / "pairs.jsonl"
    rows = [{"instruction": row["url"] or "", "output": row["text"],
             "source": row["source"]} for row in sample_rows[:300]]
    rows.append({"output": "no instruction"})  # counted as unreadable: the first field is missing
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run = subprocess.run(JUICER + ["count", str(path), "--field", "instruction", "--field",
                                   "output", "--by", "source", "--tokenizer", "cl100k_base",
                                   "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    counted = json.loads(run.stdout)
    assert counted["documents"] == 300 and counted["unreadable"] == 1
    assert counted["tokenizer"] == "cl100k_base"
    counter = load("cl100k_base")
    outputs = [row["output"] for row in rows[:300]]
    assert counted["fields"]["output"]["tokens"] == int(counter.count(outputs).sum())
    assert counted["fields"]["instruction"]["chars"] == sum(len(r["instruction"]) for r in rows[:300])
    assert sum(g["documents"] for g in counted["groups"].values()) == 300
    table = subprocess.run(JUICER + ["count", str(path), "--field", "instruction", "--field",
                                     "output", "--tokenizer", "cl100k_base"],
                           capture_output=True, text=True, check=True).stdout
    assert f"{counted['fields']['output']['tokens']:,}" in table and "unreadable" in table


def test_sample_is_uniform_reproducible_and_in_input_order(tmp_path, sample_rows):
    first = juicer.sample([SAMPLE], 1000, str(tmp_path / "a.jsonl"))
    juicer.sample([SAMPLE], 1000, str(tmp_path / "b.jsonl"))
    juicer.sample([SAMPLE], 1000, str(tmp_path / "c.jsonl"), seed=7)
    assert first["sampled"] == 1000 and first["population"] == 2500
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    position = {row["id"]: index for index, row in enumerate(sample_rows)}
    drawn = [json.loads(line) for line in (tmp_path / "a.jsonl").open()]
    places = [position[row["id"]] for row in drawn]
    assert places == sorted(places) and len(set(places)) == 1000
    # every field as it was (a field some records lack is null in the others, as in data/)
    assert {k: v for k, v in drawn[0].items() if v is not None} == \
        {k: v for k, v in sample_rows[places[0]].items() if v is not None}
    # uniform: about 40% of each part of the input is drawn
    for part in range(5):
        share = sum(part * 500 <= p < (part + 1) * 500 for p in places) / 500
        assert 0.33 < share < 0.47, (part, share)


def test_sample_from_the_cli_to_parquet_and_its_errors(tmp_path):
    out = tmp_path / "s.parquet"
    run = subprocess.run(JUICER + ["sample", str(SAMPLE), "-n", "50", "-o", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "50 of 2,500 documents" in run.stdout and pq.read_table(out).num_rows == 50
    everything = juicer.sample([SAMPLE], 5000, str(tmp_path / "all.jsonl"))
    assert everything["sampled"] == 2500
    with pytest.raises(JuicerError, match=".jsonl, .parquet or .arrow"):
        juicer.sample([SAMPLE], 5, str(tmp_path / "s.csv"))
    bad = subprocess.run(JUICER + ["sample", str(tmp_path / "missing.jsonl"), "-n", "5", "-o",
                                   str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_count_a_path_into_chat_records(tmp_path):
    path = tmp_path / "chat.jsonl"
    rows = [{"messages": [{"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": "Hello there"}]},
            {"messages": [{"role": "user", "content": "Bye"},
                          {"role": "assistant", "content": "See you"}]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    counted = juicer.count([path], fields=["messages[-1].content", "messages[0].content"])
    assert counted["documents"] == 2
    assert counted["fields"]["messages[-1].content"]["chars"] == len("Hello there") + len("See you")
    assert counted["fields"]["messages[0].content"]["chars"] == len("Hi") + len("Bye")


def test_count_by_prints_whole_values(tmp_path):
    path = tmp_path / "sources.jsonl"
    long_value = "a-very-long-source-name-that-used-to-be-cut-at-24-characters"
    path.write_text("".join(json.dumps({"text": f"doc {i}", "source": long_value if i % 2
                                        else "short"}) + "\n" for i in range(10)))
    run = subprocess.run(JUICER + ["count", str(path), "--by", "source"], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert re.search(rf"^{long_value} +5 +50\.0%", run.stdout, re.M)
