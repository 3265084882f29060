"""`juicer mix`: weighted, seeded mixes of recipe outputs, folders and files, by documents
or tokens, with the realized shares reported."""
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

import juicer
from juicer.errors import JuicerError
from juicer.corpus.mix import parse_source
from tests.conftest import REPO, SAMPLE, read_output

GPTEACHER = REPO / "recipes" / "sample" / "gpteacher_sample.jsonl.gz"


def test_a_document_mix_holds_its_shares_and_is_reproducible(tmp_path):
    sources = [parse_source(f"{SAMPLE}:0.6"), parse_source(f"{GPTEACHER}:0.4:response")]
    report = juicer.mix(sources, str(tmp_path / "a"), documents=1500)
    assert [s["taken_documents"] for s in report["sources"]] == [900, 600]
    assert report["total"] == 1500 and not any(s["short"] for s in report["sources"])
    data = read_output(tmp_path / "a", "data")
    assert data.num_rows == 1500
    assert sum(source is not None and source.startswith("gpteacher") for source in
               data.column("source").to_pylist()) == 600
    again = juicer.mix(sources, str(tmp_path / "b"), documents=1500)
    other = juicer.mix(sources, str(tmp_path / "c"), documents=1500, seed=3)
    assert again == {**report, "files": again["files"]}
    first = [p.read_bytes() for p in sorted((tmp_path / "a" / "data").iterdir())]
    assert first == [p.read_bytes() for p in sorted((tmp_path / "b" / "data").iterdir())]
    assert first != [p.read_bytes() for p in sorted((tmp_path / "c" / "data").iterdir())]
    assert other["total"] == 1500


def test_a_token_mix_of_a_recipe_output_and_a_file_from_the_cli(tmp_path):
    recipe = tmp_path / "alpaca.yaml"
    text = (REPO / "recipes" / "instruct" / "alpaca_clean.yaml").read_text()
    recipe.write_text(text.replace("../sample/", f"{REPO}/recipes/sample/").replace(
        "benchmark_example.jsonl", f"{REPO}/recipes/instruct/benchmark_example.jsonl").replace(
        "../../output/alpaca_clean", str(tmp_path / "alpaca_out")))
    juicer.process(recipe)
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "mix", f"{SAMPLE}:0.75",
                          f"{recipe}:0.25", "--tokens", "200000", "-o", str(tmp_path / "mix")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "mix" / "mix_report.json").read_text())
    assert report["unit"] == "tokens" and report["tokenizer"] == "cl100k_base"
    web, instruct = report["sources"]
    assert abs(web["realized_share"] - 0.75) < 0.01 and abs(instruct["realized_share"] - 0.25) < 0.01
    assert abs(report["total"] - 200_000) < 2_000  # within 1% of the asked size
    # the recipe's output was measured by its text field (the answers)
    from juicer.models.token_counters import load

    rows = pq.read_table(tmp_path / "mix" / "data" / "part-00000.parquet").to_pylist()
    counter = load("cl100k_base")
    answers = [r["response"] for r in rows if r.get("response") is not None]
    assert int(counter.count(answers).sum()) == instruct["taken"]
    assert "of the mix" in run.stdout


def test_without_a_size_the_scarcest_source_sets_it_and_errors_are_clear(tmp_path):
    report = juicer.mix([parse_source(f"{SAMPLE}:3"), parse_source(f"{GPTEACHER}:1:response")],
                        str(tmp_path / "m"))
    assert [s["taken_documents"] for s in report["sources"]] == [2500, 833]
    with pytest.raises(JuicerError, match="PATH:WEIGHT"):
        parse_source("web.jsonl")
    with pytest.raises(JuicerError, match="has no document with a text in 'text'"):
        juicer.mix([parse_source(f"{GPTEACHER}:1")], str(tmp_path / "x"))
    with pytest.raises(JuicerError, match="has not been run"):
        parse_source(f"{REPO / 'recipes' / 'pretrain' / 'web_c4.yaml'}:1")


def test_a_mix_is_interleaved_by_its_seed_and_names_each_documents_source(tmp_path):
    sources = [parse_source(f"{SAMPLE}:0.5"), parse_source(f"{GPTEACHER}:0.5:response")]
    juicer.mix(sources, str(tmp_path / "a"), documents=1000)
    labels = read_output(tmp_path / "a", "data").column("mix_source").to_pylist()
    assert set(labels) == {str(SAMPLE), str(GPTEACHER)}
    # not one source after the other: each half of the file holds both, near their shares
    for half in (labels[:500], labels[500:]):
        assert 150 < half.count(str(SAMPLE)) < 350
    juicer.mix(sources, str(tmp_path / "b"), documents=1000, seed=1)
    other = read_output(tmp_path / "b", "data").column("mix_source").to_pylist()
    assert other != labels and sorted(other) == sorted(labels)
    # the source column is the mix's own: a field of that name in the data is not replaced
    with pytest.raises(JuicerError, match="already has a field 'source'"):
        juicer.mix(sources, str(tmp_path / "c"), documents=100, source_field="source")
    juicer.mix(sources, str(tmp_path / "d"), documents=100, source_field=None)
    assert "mix_source" not in read_output(tmp_path / "d", "data").column_names
