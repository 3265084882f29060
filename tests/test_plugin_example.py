"""The example plugin package in examples/ installs with pip, and its operators appear in
`juicer ops list` and run from a recipe on worker processes, like the built-ins."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, read_output

EXAMPLE = REPO / "examples" / "juicer-plugin-example"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source)  # setuptools builds in the source tree: not in the repo
    # built in pip's isolated environment (setuptools from PyPI), as a user's install is
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(site), str(source)], check=True)
    return site


def juicer_cli(args, site):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    return subprocess.run([sys.executable, "-m", "juicer.cli", *args], env=env,
                          capture_output=True, text=True)


def test_the_plugin_operators_are_listed_with_their_params(plugin_site):
    listed = juicer_cli(["ops", "list", "--json"], plugin_site)
    assert listed.returncode == 0, listed.stderr
    by_name = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert by_name["digit_ratio_filter"]["kind"] == "filter"
    assert by_name["digit_ratio_filter"]["module"].startswith("juicer_plugin_example")
    assert by_name["strip_prefix_mapper"]["kind"] == "mapper"
    shown = juicer_cli(["ops", "show", "digit_ratio_filter"], plugin_site).stdout
    assert "max_ratio: float = 0.2" in shown and "stats: digit_ratio" in shown
    bad = juicer_cli(["ops", "show", "digit_ratio_filtre"], plugin_site)
    assert bad.returncode == 2 and "digit_ratio_filter" in bad.stderr  # did you mean


def test_the_plugin_operators_run_from_a_recipe(tmp_path, plugin_site, sample_rows):
    rows = [dict(row, text=("Advertisement\n" + row["text"]) if index % 3 == 0 else row["text"])
            for index, row in enumerate(sample_rows[:400])]
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "out"
    run = juicer_cli(["process", str(EXAMPLE / "recipe.yaml"), "--workers", "2",
                      "--set", f"input.paths={data}", "--set", f"output.path={out}",
                      "--set", "input.shard_size=200000"], plugin_site)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["executor"]["shards"] > 1 and report["accounting_ok"]
    kept = read_output(out, "data").to_pylist()
    dropped = read_output(out, "dropped").to_pylist()
    assert len(kept) + len(dropped) == 400 and dropped

    def digit_share(text):
        return sum(ch.isdecimal() for ch in text) / len(text) if text else 0.0

    # the prefix is gone everywhere, and the filter decided on the stripped text
    assert not any(row["text"].startswith("Advertisement\n") for row in kept + dropped)
    assert all(digit_share(row["text"]) <= 0.1 for row in kept)
    assert {row["__drop_reason__"] for row in dropped} == {"digit_ratio_filter:max_ratio"}
    assert all(digit_share(row["text"]) > 0.1 for row in dropped)
    assert re.search(r"digit_ratio_filter", run.stdout)
