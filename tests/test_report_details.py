"""What the report shows beyond counts: fine histograms with thresholds where they fall,
per-rule colours and rule overlap, per-group drop rates, CSV exports and `report
--compare`'s params and changed fates; each checked against the run's own outputs."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pyarrow.compute as pc
import pytest

import juicer
from juicer.report import html as report_html
from juicer.core.metrics import Summary
from juicer.core.registry import get
from tests.conftest import SAMPLE, read_output, write_recipe

GOPHER = {"op": "gopher_quality_filter"}


def test_a_narrow_ratio_statistic_gets_fine_bins_and_distinct_upper_quantiles():
    summary = Summary()
    values = np.random.default_rng(0).uniform(0.9, 1.0, 20_000)
    summary.add(values, values > 0.95)
    report = summary.to_json()
    assert len(report["histogram"]["edges"]) - 1 >= 20  # at 1% it was 4
    widths = np.diff(report["histogram"]["edges"])
    assert widths.max() - widths.min() < 1e-9  # even bins
    q = report["quantiles"]
    assert q["p95"] < q["p99"] and abs(q["p95"] - 0.995) < 0.003 and abs(q["p99"] - 0.999) < 0.003


def test_a_threshold_among_the_values_widens_the_range_and_one_beyond_them_does_not():
    summary = Summary()
    summary.add(np.concatenate([np.full(5, 10.0), np.linspace(1000, 2000, 1000)]))
    assert summary.to_json()["histogram"]["edges"][0] > 500  # p1..p99 alone
    widened = summary.to_json([20.0])["histogram"]["edges"]
    assert widened[0] <= 20.0
    assert summary.to_json([1e6])["histogram"]["edges"][-1] < 3000


@pytest.fixture(scope="module")
def gopher_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("gopher")
    recipe = write_recipe(directory, [{"op": "text_length_filter", "params": {"min_len": 100}},
                                      GOPHER], paths=[SAMPLE], output_keep_stats=True,
                          output_group_by=["source", "lang", "nowhere"])
    return juicer.process(str(recipe))


def _failures(table, operator, step_id):
    """Per rule of `operator`, which rows of `table` fail it, from their __stats__."""
    stats = table.column("__stats__").combine_chunks().field(step_id)
    names = [stats.type.field(i).name for i in range(stats.type.num_fields)]
    arrays = {name: stats.field(name) for name in names}
    return {rule.name: ~np.asarray(rule.passes(arrays[rule.stat].to_numpy(zero_copy_only=False)),
                                   dtype=bool) for rule in operator.rules()}


def test_each_histogram_colours_only_the_failures_of_its_own_rules(gopher_run):
    report = {s["id"]: s for s in gopher_run.report["steps"]}["gopher_quality_filter"]
    operator = get("gopher_quality_filter")()
    dropped = read_output(gopher_run.output, "dropped")
    mine = dropped.filter(pc.starts_with(dropped.column("__drop_reason__"), "gopher_quality"))
    fails = _failures(mine, operator, "gopher_quality_filter")  # kept documents fail none
    checked = 0
    for name, summary in report["stats"].items():
        on_stat = [rule.name for rule in operator.rules() if rule.stat == name]
        red = sum(summary["histogram"]["all"]) - sum(summary["histogram"]["kept"])
        if not on_stat:
            assert red == 0
            continue
        expected = np.zeros(mine.num_rows, dtype=bool)
        for rule in on_stat:
            expected |= fails[rule]
        assert red == int(expected.sum()), name
        checked += 1
    assert checked >= 5
    # documents failing each rule and each pair of rules, whichever dropped them first
    assert report["rule_fails"] == {rule: int(mask.sum()) for rule, mask in sorted(fails.items())}
    rules = [rule.name for rule in operator.rules()]
    expected_pairs = {}
    for i, a in enumerate(rules):
        for b in rules[:i]:
            both = int((fails[a] & fails[b]).sum())
            if both:
                expected_pairs[(a, f"gopher_quality_filter:{b}")] = both
    assert {(e["rule"], e["with"]): e["documents"] for e in report["rule_overlap"]} == \
        expected_pairs and expected_pairs
    page = report_html.render(gopher_run.report)
    assert "Rule overlap" in page and "9.22e+18" not in page


def test_open_bounds_are_no_bound_not_a_huge_number(gopher_run):
    steps = {s["id"]: s for s in gopher_run.report["steps"]}
    rules = {r["name"]: r for r in steps["text_length_filter"]["rules"]}
    assert rules["max_len"]["threshold"] is None and rules["min_len"]["threshold"] == 100


def test_drop_rates_per_group_add_up_to_the_outputs(gopher_run):
    groups = gopher_run.report["groups"]
    assert groups["nowhere"] == {"skipped": "no document of the output has this field"}
    data = read_output(gopher_run.output, "data")
    dropped = read_output(gopher_run.output, "dropped")
    for field in ("source", "lang"):
        entry = groups[field]
        assert entry["distinct"] == len(entry["values"]) + entry["rest"]["values"]
        kept = Counter(data.column(field).to_pylist())
        gone = Counter(zip(dropped.column(field).to_pylist(),
                           dropped.column("__drop_reason__").to_pylist()))
        for row in entry["values"]:
            assert row["kept"] == kept[row["value"]]
            assert row["reasons"] == {r: n for (v, r), n in gone.items() if v == row["value"]}
            assert row["documents"] == row["kept"] + row["dropped"]
        assert sum(r["documents"] for r in entry["values"]) + entry["rest"]["documents"] == \
            data.num_rows + dropped.num_rows
    page = report_html.render(gopher_run.report)
    assert 'id="groups"' in page and "by source" in page and "drop rate" in page


def _csv(page: str, name: str) -> list[list[str]]:
    match = re.search(rf'download="{re.escape(name)}" href="data:text/csv;charset=utf-8,([^"]*)"',
                      page)
    assert match, name
    return list(csv.reader(io.StringIO(unquote(match.group(1)))))


def test_tables_export_as_csv_inside_the_page(gopher_run):
    page = report_html.render(gopher_run.report)
    header, *rows = _csv(page, "statistics.csv")
    assert header[:3] == ["step", "stat", "count"] and "p50" in header
    steps = {s["id"]: s for s in gopher_run.report["steps"]}
    assert len(rows) == sum(len(s.get("stats", {})) for s in steps.values())
    for row in rows:
        summary = steps[row[0]]["stats"][row[1]]
        assert int(row[2]) == summary["count"]
        assert float(row[header.index("p50")]) == summary["quantiles"]["p50"]
    funnel = _csv(page, "funnel.csv")
    assert [r[0] for r in funnel[1:]] == list(steps)
    assert [int(r[4]) for r in funnel[1:]] == [s["docs_out"] for s in steps.values()]
    assert _csv(page, "groups_source.csv")[0][0] == "source"


def test_report_command_recounts_groups_by_any_field(gopher_run):
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "report", gopher_run.output,
                          "--group-by", "quality_label"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    report = json.loads((Path(gopher_run.output) / "report.json").read_text())
    assert list(report["groups"]) == ["quality_label"]
    assert "by quality_label" in (Path(gopher_run.output) / "report.html").read_text()


def test_compare_names_the_params_that_differ_and_the_documents_whose_fate_changed(tmp_path):
    runs = []
    for name, min_len in (("loose", 200), ("strict", 400)):
        recipe = write_recipe(tmp_path / name, [
            {"op": "whitespace_normalization_mapper"},
            {"op": "text_length_filter", "params": {"min_len": min_len}},
            {"op": "document_deduplicator"}], paths=[SAMPLE])
        runs.append(juicer.process(str(recipe)))
    page_path = tmp_path / "compare.html"
    run = subprocess.run([sys.executable, "-m", "juicer.cli", "report", runs[0].output,
                          "--compare", runs[1].output, "-o", str(page_path)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    page = page_path.read_text()
    assert re.search(r"<td><code>text_length_filter</code></td><td>min_len</td><td>200</td>"
                     r"<td>400</td>", page)
    from juicer.report.compare import fate_changes

    fates = fate_changes(runs[0].output, runs[1].output)
    kept_loose = read_output(runs[0].output).column("text").to_pylist()
    newly_short = sum(len(t) < 400 for t in kept_loose)
    changes = {(c["from"], c["to"]): c for c in fates["changes"]}
    assert changes[("kept", "text_length_filter:min_len")]["documents"] == newly_short
    assert all(len(s["text"]) < 400 for s in changes[("kept", "text_length_filter:min_len")]["samples"])
    assert "Documents whose fate changed" in page and f"{newly_short:,}" in page
    # matched by a named field: the sample's ids (five of them shared by two documents, so
    # not chosen by default) give the same change, each sample named by its id
    by_id = fate_changes(runs[0].output, runs[1].output, key="id")
    kept = read_output(runs[0].output)
    short_ids = {i for i, t in zip(kept.column("id").to_pylist(),
                                   kept.column("text").to_pylist()) if len(t) < 400}
    change = {(c["from"], c["to"]): c for c in by_id["changes"]}[
        ("kept", "text_length_filter:min_len")]
    assert by_id["key"] == "id" and change["documents"] == len(short_ids)
    assert all(s["key"] in short_ids and len(s["text"]) < 400 for s in change["samples"])


def test_analyze_counts_the_overlap_of_rules_across_steps(tmp_path):
    steps = [{"op": "text_length_filter", "params": {"min_len": 300}},
             {"op": "words_num_filter", "params": {"min_num": 60}}]
    recipe = juicer.load_recipe(str(write_recipe(tmp_path, steps, paths=[SAMPLE])))
    result = juicer.analyze(recipe, output=str(tmp_path / "look"))
    data = read_output(result.output)
    short = _failures(data, get("text_length_filter")({"min_len": 300}), "text_length_filter")
    few = _failures(data, get("words_num_filter")({"min_num": 60}), "words_num_filter")
    report = {s["id"]: s for s in result.report["steps"]}["words_num_filter"]
    both = int((short["min_len"] & few["min_num"]).sum())
    assert both > 0 and {(e["rule"], e["with"]): e["documents"] for e in report["rule_overlap"]} \
        == {("min_num", "text_length_filter:min_len"): both}
    assert report["rule_fails"]["min_num"] == int(few["min_num"].sum())
