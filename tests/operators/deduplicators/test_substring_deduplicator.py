"""Exact substring dedup: repeats of >= length_threshold bytes go from later places, the
first stays, every removed span is an exact earlier repeat, characters stay whole."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

import juicer
from juicer.core.batch import ROW_ID, Batch
from juicer.text.substrings import repeated_spans

OP = "substring_deduplicator"
PARAGRAPH = ("This website uses cookies to improve your experience while you navigate through "
             "the website. Out of these, the cookies that are categorized as necessary are "
             "stored on your browser as they are essential for the working of basic "
             "functionalities of the website. ")


def test_repeated_paragraph_is_removed_after_its_first_occurrence():
    texts = [f"Article {i}: a story about item number {i * 17}. " + PARAGRAPH +
             f"End of article {i}." for i in range(5)]
    result = juicer.apply([{"text": t} for t in texts], OP, detailed=True)
    kept = [r["text"] for r in result.kept]
    assert kept[0] == texts[0]
    for i in range(1, 5):
        # the maximal repeat: ". " + PARAGRAPH + "End of article " (shared with text 0)
        assert kept[i] == f"Article {i}: a story about item number {i * 17}{i}."
    step = result.steps[0]
    assert step["changed_docs"] == 4 and step["docs_out"] == 5 and step["spans"]["spans"] == 4


def test_repeat_inside_one_document_and_short_repeats():
    text = "Intro. " + PARAGRAPH + "Middle part of the text. " + PARAGRAPH + "Outro."
    short = "A short shared line that is well under the threshold."
    kept = juicer.apply([{"text": text}, {"text": short + " one"}, {"text": short + " two"}],
                        OP)
    assert kept[0]["text"].count(PARAGRAPH.strip()) == 1
    assert [r["text"] for r in kept[1:]] == [short + " one", short + " two"]


def test_characters_stay_whole_in_cjk_text():
    shared = "今天天气很好，我们一起去公园散步。公园里有很多人在锻炼身体，有的人在跑步，有的人在打太极拳。"
    texts = ["第一篇：" + shared + "完。", "第二篇文章的开头不一样：" + shared + "结束。"]
    kept = [r["text"] for r in juicer.apply([{"text": t} for t in texts],
                                            juicer.operator(OP, length_threshold=64))]
    assert kept[0] == texts[0]
    # the maximal repeat takes the shared "：" before the text too; characters stay whole
    assert kept[1] == "第二篇文章的开头不一样结束。"


def test_every_removed_span_is_an_exact_earlier_repeat(sample_texts):
    texts = sample_texts[:600]
    op = juicer.operator(OP, length_threshold=100)
    table = pa.table({"text": texts, ROW_ID: pa.array(np.arange(len(texts)), pa.int64())})
    found = op.find_drops(op.signatures(Batch(table), "text"))
    args = ([texts[i] for i in range(len(texts))], found.column(ROW_ID).to_numpy(),
            found.column("offset").to_numpy(), found.column("first_row").to_numpy(),
            found.column("first_offset").to_numpy(), 100)
    matches = repeated_spans(*args, merge=False)
    assert sum(map(len, matches)) > 20  # the sample has repeated boilerplate
    data = [t.encode("utf-8") for t in texts]
    for row, spans in enumerate(matches):
        for start, end in spans:
            piece = data[row][start:end]
            assert end - start >= 100
            # in an earlier document, or earlier in this one (the two may overlap)
            assert piece in b"\0".join(data[:row]) or data[row].find(piece) < start
            piece.decode("utf-8")  # whole characters
    # what the operator removes is exactly the union of those repeats
    merged = repeated_spans(*args)
    for row in range(len(texts)):
        covered = np.zeros(len(data[row]), dtype=bool)
        for start, end in matches[row]:
            covered[start:end] = True
        union = np.zeros(len(data[row]), dtype=bool)
        for start, end in merged[row]:
            union[start:end] = True
        assert np.array_equal(covered, union)
