"""The report model (samples, label counts, histograms), report.html's content and escaping,
`juicer analyze`, `juicer calibrate` and `juicer report --compare`, on real data."""
import gzip
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet  # noqa: F401  (pa.parquet)
import pytest

import juicer
from juicer.report import html as report_html
from juicer.core.metrics import Summary
from juicer.core.samples import MAX_CATEGORIES, Categories, Samples
from tests.conftest import DATA, SAMPLE, write_recipe

QUICKSTART = Path(__file__).resolve().parent.parent / "recipes" / "quickstart.yaml"


def test_samples_do_not_depend_on_how_rows_are_split_or_merged():
    rows = np.arange(0, 50_000, 7, dtype=np.int64)
    whole = Samples(5)
    whole.offer(rows, lambda i: {"i": int(rows[i])})
    pieces = []
    for chunk in np.array_split(rows, 13):
        part = Samples(5)
        for small in np.array_split(chunk, 3):
            part.offer(small, lambda i, small=small: {"i": int(small[i])})
        pieces.append(Samples.from_state(json.loads(json.dumps(part.to_state()))))
    random.Random(1).shuffle(pieces)
    merged = Samples(5)
    for part in pieces:
        merged.merge(part)
    assert merged.payloads() == whole.payloads()
    assert [p["row"] for p in whole.payloads()] == [p["i"] for p in whole.payloads()]
    assert len(whole.payloads()) == 5 and len({p["row"] for p in whole.payloads()}) == 5


def test_label_counts_overflow_exactly_when_the_run_has_too_many_values():
    values = [f"v{i}" for i in range(MAX_CATEGORIES + 1)]
    parts = []
    for chunk in (values[:150], values[150:]):  # neither part overflows alone
        part = Categories()
        part.add(pa.array(chunk), np.ones(len(chunk), dtype=bool))
        parts.append(part)
    assert not parts[0].overflow and not parts[1].overflow
    assert parts[0].merge(parts[1]).to_json() == {"overflow": True}
    few = Categories()
    few.add(pa.array(["en", "de", "en", None]), np.array([True, False, True, True]))
    assert few.to_json() == {"all": {"en": 2, "(none)": 1, "de": 1},
                             "kept": {"en": 2, "(none)": 1, "de": 0}}


def test_long_tailed_stats_are_binned_on_a_log_scale_and_counts_add_up():
    lengths = np.random.default_rng(0).lognormal(7, 1.5, 20_000).round()
    summary = Summary()
    summary.add(lengths, lengths > 500)
    histogram = summary.to_json()["histogram"]
    assert histogram["scale"] == "log" and histogram["clamped"]
    assert sum(histogram["all"]) == 20_000 and sum(histogram["kept"]) == int((lengths > 500).sum())
    ratios = np.random.default_rng(1).uniform(0.7, 0.9, 5_000)
    narrow = Summary()
    narrow.add(ratios)
    # no bin narrower than the sketch's 1% buckets: no empty bins inside the range
    assert narrow.to_json()["histogram"]["scale"] == "linear"
    assert all(narrow.to_json()["histogram"]["all"])


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Documents that try to run script in the report: they must show as text."""
    directory = tmp_path_factory.mktemp("hostile")
    path = directory / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(40):
            words = " ".join(["word"] * (index * 3))
            text = f'<script>alert("x{index}")</script><img src=x onerror=alert(1)> {words}'
            handle.write(json.dumps({"text": text, "url": f"<b>u{index}</b>"}) + "\n")
    recipe = write_recipe(directory, [
        {"op": "remove_specific_chars_mapper", "params": {"chars_to_remove": "<"}},
        {"op": "words_num_filter", "params": {"min_num": 40}},
    ], paths=[path])
    return juicer.process(recipe, overwrite=True)


def test_report_html_escapes_document_text(hostile_run):
    page = (Path(hostile_run.output) / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "script&gt;alert(&quot;x" in page  # the dropped and kept samples, as text
    assert "<del>&lt;</del>script&gt;" in page  # the mapper's diff: the removed "<" struck out
    assert "&lt;b&gt;u" in page  # other fields of kept samples too
    steps = hostile_run.report["steps"]
    assert steps[0]["changed_docs"] == 40 and len(steps[0]["samples"]["changed"]) == 3
    assert len(steps[1]["samples"]["drop:min_num"]) == 5
    assert "<del>" in page  # the mapper's before/after diff


def test_report_html_has_every_section_and_explains_the_run(tmp_path):
    recipe = write_recipe(tmp_path, [
        {"op": "whitespace_normalization_mapper"},
        {"op": "language_id_score_filter", "params": {"lang": ["en"], "min_score": 0.5}},
        {"op": "text_length_filter", "params": {"min_len": 300}},
        {"op": "document_minhash_deduplicator", "params": {"jaccard_threshold": 0.7}},
    ], paths=[SAMPLE, DATA / "bad_records.jsonl"])
    result = juicer.process(recipe, overwrite=True)
    page = (Path(result.output) / "report.html").read_text(encoding="utf-8")
    for section, _ in report_html.SECTIONS:
        assert f'<section id="{section}">' in page
    report = result.report
    language = report["steps"][1]["labels"]["lang"]
    assert language["all"]["en"] > language["all"].get("de", 0) and language["kept"]["en"] > 0
    assert set(language["kept"]) == set(language["all"])
    assert f'{report["kept_docs"]:,}' in page and "text_length_filter:min_len" in page
    assert "threshold" in page and "min_len" in page  # the rule's line on its histogram
    dedup = report["steps"][3]["dedup"]
    assert f'{dedup["duplicates"]:,} duplicates removed' in page
    assert page.count('class="doc keep"') == 20
    assert report["quarantined_docs"] > 0 and "bad_records.jsonl" in page
    # self-contained: nothing to fetch (links only to its own sections, and CSV exports
    # carried in the page as data: URLs)
    assert not re.search(r'(src|href)\s*=\s*"(?!#|data:text/csv)', page)
    assert not any(tag in page.lower() for tag in ("<link", "<script", "@import", "url("))


def test_analyze_drops_nothing_and_counts_what_each_filter_would_drop(tmp_path):
    analysis = juicer.analyze(QUICKSTART, output=str(tmp_path / "analysis"))
    processed = juicer.process(QUICKSTART, overrides=[f"output.path={tmp_path / 'run'}"])
    report = analysis.report
    assert report["mode"] == "analyze" and report["kept_docs"] == report["input_docs"] == 2500
    assert report["dropped_docs"] == 0 and report["accounting_ok"]
    for observed, filtered in zip(report["steps"], processed.report["steps"]):
        assert observed["docs_in"] == 2500  # every step saw every document
        would = sum(observed["drops_by_rule"].values())
        assert would >= sum(filtered["drops_by_rule"].values())
    # the would-drop counts match the stats written for every document
    data = pa.concat_tables(pa.parquet.read_table(p) for p in sorted((tmp_path / "analysis" / "data").glob("*")))
    lengths = np.array(data.column("__stats__").combine_chunks().field("text_length_filter")
                       .field("text_len").to_numpy(zero_copy_only=False))
    assert report["steps"][2]["drops_by_rule"]["min_len"] == int((lengths < 200).sum())
    page = (tmp_path / "analysis" / "report.html").read_text(encoding="utf-8")
    assert "would drop" in page and "Analysis: every filter" in page


def test_analyze_sample_reads_about_n_documents_the_same_ones_each_time(tmp_path):
    first = juicer.analyze(QUICKSTART, output=str(tmp_path / "a"), sample=500)
    second = juicer.analyze(QUICKSTART, output=str(tmp_path / "b"), sample=500, workers=1)
    assert 400 <= first.report["input_docs"] <= 600
    assert first.report["sample"] == {"requested": 500, "population": 2500, "rate": 0.2}
    assert first.report["kept_samples"] == second.report["kept_samples"]
    assert first.report["input_docs"] == second.report["input_docs"]


def test_calibrate_hits_the_target_and_the_calibrated_recipe_keeps_it(tmp_path):
    out = tmp_path / "calibrated.yaml"
    proposal = juicer.calibrate(QUICKSTART, 0.75, recipe_out=str(out),
                                output=str(tmp_path / "analysis"))
    assert abs(proposal["achieved"] - 0.75) < 0.01
    changed = {(row["step"], row["param"]) for row in proposal["thresholds"]}
    assert ("text_length_filter", "min_len") in changed
    assert ("maximum_line_length_filter", "min_len") not in changed  # default, rejects nothing
    result = juicer.process(out, overrides=[f"output.path={tmp_path / 'run'}"])
    filters = [s for s in result.report["steps"] if s["kind"] == "filter"]
    assert filters[-1]["docs_out"] == proposal["kept_documents"]
    report = json.loads((tmp_path / "analysis" / "report.json").read_text())
    assert report["calibration"]["achieved"] == proposal["achieved"]
    assert 'id="calibration"' in (tmp_path / "analysis" / "report.html").read_text()
    page = juicer.render_report(result.output, compare=str(tmp_path / "analysis"))
    html = Path(page).read_text(encoding="utf-8")
    assert "Funnel" in html and "text_length_filter:min_len" in html
    assert f'{result.report["kept_docs"]:,}' in html


def test_the_calibrated_recipe_keeps_the_authors_comments_layout_and_relative_paths(tmp_path):
    """The proposal is the original file with thresholds changed: comments, flow-style
    params and relative paths (re-based to where it is written) survive; the steps it does
    not calibrate are as written. Where the file cannot be edited (--set), the resolved
    recipe says why."""
    import shutil

    folder = tmp_path / "recipes"
    shutil.copytree(QUICKSTART.parent / "sample", folder / "sample")
    original = QUICKSTART.read_text(encoding="utf-8").replace(
        "  - op: fix_unicode_mapper\n", "  - fix_unicode_mapper   # a bare name\n")
    (folder / "quickstart.yaml").write_text(original, encoding="utf-8")
    analysis = juicer.analyze(juicer.load_recipe(folder / "quickstart.yaml"),
                              output=str(tmp_path / "analysis"))
    out = tmp_path / "elsewhere" / "tuned.yaml"
    proposal = juicer.calibrate(folder / "quickstart.yaml", 0.7, analysis=analysis.output,
                                recipe_out=str(out))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Calibrated by `juicer calibrate --keep 0.7`")
    assert "# relative to this file" in text and "# Quickstart: clean 2,500" in text
    assert "paths: [../recipes/sample/web_docs_sample.jsonl.gz]" in text
    assert "- fix_unicode_mapper   # a bare name" in text  # not calibrated: as written
    calibrated = juicer.load_recipe(out)
    assert calibrated.input.paths == juicer.load_recipe(folder / "quickstart.yaml").input.paths
    assert calibrated.output.path == os.path.normpath(tmp_path / "output" / "quickstart") + \
        "_calibrated"
    steps = {s.id: s.params for s in calibrated.pipeline}
    for row in proposal["thresholds"]:
        assert steps[row["step"]][row["param"]] == row["proposed"]
    overridden = juicer.load_recipe(folder / "quickstart.yaml",
                                    overrides=["pipeline.8.params.lowercase=false"])
    juicer.calibrate(overridden, 0.7, analysis=analysis.output, recipe_out=str(out))
    text = out.read_text(encoding="utf-8")
    assert "every default filled (--set changed it: pipeline.8.params.lowercase=false)" in text
    assert {s.id: s.params for s in juicer.load_recipe(out).pipeline}[
        "document_deduplicator"]["lowercase"] is False


def test_calibrate_to_a_character_budget(tmp_path):
    analysis = juicer.analyze(QUICKSTART, output=str(tmp_path / "analysis")).output
    total = juicer.calibrate(QUICKSTART, 1.0, analysis=analysis)["characters"]
    budget = total // 2
    proposal = juicer.calibrate(QUICKSTART, chars=budget, analysis=analysis,
                                recipe_out=str(tmp_path / "half.yaml"))
    assert abs(proposal["kept_characters"] - budget) / budget < 0.02
    assert proposal["budget_chars"] == budget and proposal["kept_documents"] < 2500
    assert "--chars" in (tmp_path / "half.yaml").read_text().splitlines()[0]
    with pytest.raises(juicer.JuicerError, match="give one target"):
        juicer.calibrate(QUICKSTART, 0.5, chars=budget, analysis=analysis)
    with pytest.raises(juicer.JuicerError, match="fewer than --chars"):
        juicer.calibrate(QUICKSTART, chars=total * 2, analysis=analysis)


def test_calibrate_to_a_token_budget_and_tokens_in_the_summary(tmp_path):
    from juicer.models import token_counters

    tokens_of = token_counters.load("cl100k_base").count
    counted = ["output.count_tokens=cl100k_base"]
    analysis = juicer.analyze(QUICKSTART, overrides=counted, output=str(tmp_path / "analysis"))
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        total = int(tokens_of([json.loads(line)["text"] for line in handle]).sum())
    assert analysis.report["input_tokens"] == total
    # analyze keeps everything, as the mappers (Unicode and whitespace repairs) left it
    analysed = pa.parquet.read_table(tmp_path / "analysis" / "data").column("text").to_pylist()
    assert analysis.report["kept_tokens"] == int(tokens_of(analysed).sum()) < total
    budget = total // 3
    proposal = juicer.calibrate(QUICKSTART, tokens=budget, analysis=analysis.output,
                                recipe_out=str(tmp_path / "third.yaml"))
    assert abs(proposal["kept_tokens"] - budget) / budget < 0.02
    assert proposal["budget_tokens"] == budget and proposal["tokenizer"] == "cl100k_base"
    assert proposal["kept_characters"] < proposal["characters"]
    assert "--tokens" in (tmp_path / "third.yaml").read_text().splitlines()[0]
    html = (tmp_path / "analysis" / "report.html").read_text()
    assert "input tokens (cl100k_base)" in html and f"{budget:,} tokens" in html
    with pytest.raises(juicer.JuicerError, match="fewer than --tokens"):
        juicer.calibrate(QUICKSTART, tokens=total * 2, analysis=analysis.output)
    # processed with the calibrated recipe: the report's kept tokens are the budget's
    result = juicer.process(tmp_path / "third.yaml", overrides=[
        f"output.path={tmp_path / 'run'}", *counted, "output.format=jsonl"])
    kept = [json.loads(line)["text"] for path in sorted((tmp_path / "run" / "data").iterdir())
            for line in path.read_text("utf-8").splitlines()]
    assert result.report["kept_tokens"] == int(tokens_of(kept).sum())
    assert result.report["input_tokens"] == total
    # the filters keep what the proposal says; exact dedup after them drops a few more
    assert 0.9 * budget < result.report["kept_tokens"] <= proposal["kept_tokens"]


def test_calibrate_refuses_a_processed_run_and_a_recipe_without_bounds(tmp_path):
    processed = juicer.process(QUICKSTART, overrides=[f"output.path={tmp_path / 'run'}"])
    with pytest.raises(juicer.JuicerError, match="not an analysis"):
        juicer.calibrate(QUICKSTART, 0.5, analysis=processed.output)
    recipe = write_recipe(tmp_path / "nobounds", [{"op": "document_deduplicator"}], paths=[SAMPLE])
    with pytest.raises(juicer.JuicerError, match="no filter"):
        juicer.calibrate(recipe, 0.5, output=str(tmp_path / "nb"))


def test_cli_analyze_calibrate_and_report(tmp_path):
    def juicer_cli(*args):
        return subprocess.run([sys.executable, "-m", "juicer.cli", *args], capture_output=True,
                              text=True, cwd=tmp_path)

    analysis = tmp_path / "analysis"
    ran = juicer_cli("analyze", str(QUICKSTART), "--sample", "800", "-o", str(analysis))
    assert ran.returncode == 0, ran.stderr
    assert "would drop" in ran.stdout and (analysis / "report.html").exists()
    ran = juicer_cli("calibrate", str(QUICKSTART), "--keep", "0.6", "--analysis", str(analysis))
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"achieved (59|60|61)\.\d%", ran.stdout) and \
        (analysis / "recipe.calibrated.yaml").exists()
    # the proposal writes to an output of its own, not over the baseline run
    calibrated = juicer.load_recipe(analysis / "recipe.calibrated.yaml")
    assert calibrated.output.path == juicer.load_recipe(QUICKSTART).output.path + "_calibrated"
    elsewhere = tmp_path / "analysis-o"  # -o as in analyze
    ran = juicer_cli("calibrate", str(QUICKSTART), "--keep", "0.6", "--sample", "300",
                     "-o", str(elsewhere))
    assert ran.returncode == 0, ran.stderr
    assert (elsewhere / "report.json").exists() and (elsewhere / "recipe.calibrated.yaml").exists()
    ran = juicer_cli("calibrate", str(QUICKSTART), "--tokens", "200000", "--tokenizer",
                     "o200k_base", "--analysis", str(analysis))
    assert ran.returncode == 0, ran.stderr
    assert "target 200,000 tokens (o200k_base)" in ran.stdout and " tokens)" in ran.stdout
    (analysis / "report.html").unlink()
    ran = juicer_cli("report", str(analysis))
    assert ran.returncode == 0 and (analysis / "report.html").exists()
    ran = juicer_cli("report", str(analysis), "--compare", str(tmp_path))
    assert ran.returncode == 1 and "no report.json" in ran.stderr


def test_rendering_a_report_model_escapes_every_text_it_shows():
    hostile = '<script>alert(1)</script>'
    report = {
        "recipe": hostile, "input_docs": 3, "kept_docs": 1, "dropped_docs": 1,
        "quarantined_docs": 1, "accounting_ok": True, "input_chars": 30, "kept_chars": 10,
        "notes": [hostile], "kept_samples": [{"row": 1, "text": hostile, "fields": {hostile: hostile}}],
        "quarantine": {"by_error": {hostile: 1}, "by_file": {hostile: 1},
                       "samples": [{"file": hostile, "line": 3, "row": None, "error": hostile}]},
        "steps": [{
            "id": "dedup", "op": "document_minhash_deduplicator", "kind": "deduplicator",
            "docs_in": 2, "docs_out": 1, "dropped": 1, "drops_by_rule": {"duplicate": 1},
            "chars_in": 20, "chars_out": 10, "seconds": 0.1,
            "samples": {"drop:duplicate": [{"row": 2, "text": hostile}]},
            "dedup": {"duplicates": 1, "clusters": 1, "cluster_sizes": {"2": 1},
                      "largest_clusters": [{"size": 2, "kept_row": 1, "samples": [hostile, hostile]}],
                      "verification": {"checked": 2, "rejected": 1, "rejected_samples": [
                          {"row": 5, "duplicate_of": 1, "similarity": 0.41, "text": hostile,
                           "other_text": hostile}]}}}],
    }
    page = report_html.render(report)
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10
    assert "rejected candidate pair: similarity 0.41" in page
    assert "1 duplicates removed from 1 clusters" in page
