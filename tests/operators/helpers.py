"""Running one operator on a list of strings, for operator tests."""
from __future__ import annotations

import pyarrow as pa

import juicer
from juicer.core.batch import Batch


def stats_and_keep(op: juicer.Filter, texts: list[str]) -> tuple[dict[str, list], list[bool]]:
    batch = Batch(pa.table({"text": pa.array(texts, pa.string())}))
    op.ensure_setup()
    stats = op.compute_stats(batch, "text")
    keep, _ = op.decide(stats)
    return {name: values.to_pylist() for name, values in stats.items()}, keep.tolist()


def kept_texts(op: juicer.Operator, texts: list[str]) -> list[str]:
    return [row["text"] for row in op([{"text": t} for t in texts])]


def check_null_is_quarantined(op: juicer.Operator) -> None:
    result = juicer.apply([{"text": None}, {"text": ""}, {"text": 7}], [op], detailed=True)
    assert [q["error"] for q in result.quarantined] == [
        "field 'text' is null", "field 'text' is int, not a string"]
    assert result.counts["kept"] + result.counts["dropped"] == 1


def cluster_firsts(count: int, similar) -> list[bool]:
    """Plain union-find reference: for items 0..count-1 and a predicate similar(i, j) over
    all pairs, whether each item is the first (lowest index) of its connected component."""
    import itertools

    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i
    for i, j in itertools.combinations(range(count), 2):
        if similar(i, j):
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
    return [find(i) == i for i in range(count)]


def refined_words(text: str) -> list[str]:
    """Data-Juicer's refined words, written plainly: split on space, newline and tab,
    lowercase, strip special characters from both ends, drop empty pieces."""
    import re

    from juicer.text.kernels import special_characters

    strip = "".join(special_characters())
    pieces = (piece.lower().strip(strip) for piece in re.split("[ \n\t]", text))
    return [piece for piece in pieces if piece]


def latex_texts() -> list[str]:
    """11 real arXiv LaTeX sources (tests/data/README.md)."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "data" / "latex_arxiv.jsonl"
    return [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()]


def assert_matches_reference(op: juicer.Operator, reference, texts: list[str]) -> None:
    """The mapper's output equals `reference(text)` for every text (first difference shown)."""
    got = kept_texts(op, texts)
    for index, (text, result) in enumerate(zip(texts, got)):
        expected = reference(text)
        assert result == expected, f"text {index}: {text[:200]!r}"
    assert len(got) == len(texts)


def datatrove_decisions() -> dict[str, dict]:
    """datatrove 0.10.1's decisions on the quickstart sample, by document id (recorded by
    tools/build_parity_fixtures): per filter `True` (kept) or its drop reason."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "data" / "parity" / "datatrove_decisions.jsonl"
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return {record["id"]: record for record in records}


def assert_same_decisions(op: juicer.Operator, rows: list[dict], key: str, prefix: str) -> None:
    """The operator keeps exactly the documents datatrove kept, and drops the others for the
    same reason (`<prefix><datatrove's reason>`)."""
    expected = datatrove_decisions()
    result = juicer.apply(rows, op, detailed=True)
    got = {row["id"]: True for row in result.kept}
    got.update({row["id"]: row["__drop_reason__"].split(":", 1)[1] for row in result.dropped})
    mismatches = [(row["id"], got[row["id"]], expected[row["id"]][key]) for row in rows
                  if got[row["id"]] != (True if expected[row["id"]][key] is True
                                        else prefix + expected[row["id"]][key])]
    assert not mismatches, f"{len(mismatches)} of {len(rows)} differ, e.g. {mismatches[:5]}"
