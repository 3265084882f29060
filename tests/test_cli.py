"""The `juicer` command as a user runs it."""
import json
import os
import re
import subprocess
import sys

import juicer
from tests.conftest import REPO, read_output

JUICER = [sys.executable, "-m", "juicer.cli"]


def test_quickstart_runs_and_prints_a_summary(tmp_path):
    out = tmp_path / "quickstart"
    run = subprocess.run(JUICER + ["process", str(REPO / "recipes" / "quickstart.yaml"),
                                   "--set", f"output.path={out}", "--workers", "2"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no progress bar when stderr is not a terminal
    summary = run.stdout
    counts = {k: int(v.replace(",", "")) for k, v in
              re.findall(r"^  (input|kept|dropped|quarantined) +([\d,]+)", summary, re.M)}
    assert counts["input"] == 2500 == counts["kept"] + counts["dropped"] + counts["quarantined"]
    assert f"report:  {out}/report.html" in summary and (out / "report.html").exists()
    assert "document_deduplicator" in summary and "duplicate" in summary
    report = json.loads((out / "report.json").read_text())
    assert report["kept_docs"] == counts["kept"] == read_output(out).num_rows
    assert len(report["steps"]) == 9
    assert sorted(p.name for p in (out / "data").iterdir())[0] == "part-00000.parquet"


def test_ops_list_and_show():
    listed = subprocess.run(JUICER + ["ops", "list"], capture_output=True, text=True, check=True)
    assert re.search(r"^text_length_filter +filter +Keep documents", listed.stdout, re.M)
    shown = subprocess.run(JUICER + ["ops", "show", "special_characters_filter"],
                           capture_output=True, text=True, check=True).stdout
    assert "max_ratio: float = 0.25" in shown and "stats: special_char_ratio" in shown
    assert "rules (drop reasons): min_ratio, max_ratio, reversed_range" in shown
    missing = subprocess.run(JUICER + ["ops", "show", "nope_filter"], capture_output=True,
                             text=True)
    assert missing.returncode == 2 and "unknown operator" in missing.stderr


def test_version():
    run = subprocess.run(JUICER + ["--version"], capture_output=True, text=True, check=True)
    assert juicer.__version__ in run.stdout


def test_a_missing_input_exits_2_with_a_message(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"input: [{tmp_path}/missing-*.jsonl]\noutput: {tmp_path}/out\n"
                      "pipeline: [text_length_filter]\n")
    run = subprocess.run(JUICER + ["process", str(recipe)], capture_output=True, text=True)
    assert run.returncode == 2 and "missing-*.jsonl" in run.stderr
    assert "Traceback" not in run.stderr


def test_operator_docs_are_current():
    from juicer.core.operator_docs import render

    assert (REPO / "docs" / "operators.md").read_text(encoding="utf-8") == render(), \
        "regenerate with: juicer ops docs > docs/operators.md"


def test_recipe_check_json_lists_problems_with_their_location():
    good = subprocess.run(JUICER + ["recipe", "check", str(REPO / "recipes" / "quickstart.yaml"),
                                    "--json"], capture_output=True, text=True, check=True)
    checked = json.loads(good.stdout)
    assert checked["ok"] and checked["steps"] == 9 and checked["input_files"] == 1
    bad = subprocess.run(JUICER + ["recipe", "check", str(REPO / "tests" / "data" /
                                                        "bad_recipe.yaml"), "--json"],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    problems = json.loads(bad.stdout)["problems"]
    assert any(p["location"].endswith(":8 pipline") and "did you mean 'pipeline'" in p["message"]
               for p in problems)


def test_help_shows_defaults_and_completion_scripts_load():
    helped = subprocess.run(JUICER + ["sample", "--help"], capture_output=True, text=True,
                            check=True).stdout
    assert "[default: 0]" in helped and "[default: file]" in helped
    assert "Exit codes" in subprocess.run(JUICER + ["--help"], capture_output=True, text=True,
                                          check=True).stdout
    script = subprocess.run(JUICER + ["completion", "bash"], capture_output=True, text=True,
                            check=True).stdout
    assert "_JUICER_COMPLETE=bash_complete" in script
    # the script's protocol answers: subcommands starting with "ca" complete to calibrate
    import os

    answered = subprocess.run([sys.executable, "-c", "from juicer.cli import main; main(prog_name=\"juicer\")"],
                              env={**os.environ, "_JUICER_COMPLETE": "bash_complete",
                                   "COMP_WORDS": "juicer ca", "COMP_CWORD": "1"},
                              capture_output=True, text=True)
    assert "calibrate" in answered.stdout


def test_a_finished_output_exits_2_naming_overwrite(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "one document"}\n')
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"input: [{data}]\noutput: {tmp_path}/out\npipeline: [text_length_filter]\n")
    first = subprocess.run(JUICER + ["process", str(recipe)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(JUICER + ["process", str(recipe)], capture_output=True, text=True)
    assert again.returncode == 2 and "already holds a finished run" in again.stderr
    assert "--overwrite" in again.stderr


def test_a_text_field_no_input_has_exits_2_naming_the_fields_there_are(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text('{"id": 1, "content": "a document"}\n')
    table = tmp_path / "docs.parquet"
    pq.write_table(pa.table({"body": ["a document"], "lang": ["en"]}), table)
    for path, fields, hint in ((jsonl, "id, content", "input.text_field: content"),
                               (table, "body, lang", "input.text_field to the field")):
        recipe = tmp_path / "r.yaml"
        recipe.write_text(f"input: {{paths: [{path}], text_field: text}}\n"
                          f"output: {tmp_path}/out\npipeline: [text_length_filter]\n")
        for command in (["recipe", "check"], ["process"]):
            run = subprocess.run(JUICER + command + [str(recipe)], capture_output=True, text=True)
            assert run.returncode == 2, run.stderr
            assert f"no field 'text' in {path} (its fields: {fields})" in run.stderr
            assert hint in run.stderr and "Traceback" not in run.stderr


def test_ops_list_fits_100_columns_with_first_sentences_and_real_kinds():
    listed = subprocess.run(JUICER + ["ops", "list"], capture_output=True, text=True,
                            check=True, env={**os.environ, "COLUMNS": "100"}).stdout
    lines = listed.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert re.search(r"^redpajama_signals_mapper +mapper +Compute RedPajama", listed, re.M)
    long_name = "remove_words_with_incorrect_substrings_mapper"
    assert long_name in lines  # on a line of its own, its kind and summary below
    assert lines[lines.index(long_name) + 1].split()[0] == "mapper"


def test_process_output_option_writes_where_the_command_runs(tmp_path):
    run = subprocess.run(JUICER + ["process", str(REPO / "recipes" / "quickstart.yaml"),
                                   "-o", "here", "-w", "1"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "here" / "report.json").exists()
    report = json.loads((tmp_path / "here" / "report.json").read_text())
    assert report["output"] == str(tmp_path / "here")
    assert read_output(tmp_path / "here").num_rows == report["kept_docs"] > 0
